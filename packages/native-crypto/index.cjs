// Loads the compiled addon (build/Release), built from source at install; throws when the build
// failed or was skipped, and @fedtune/shared then keeps to node:crypto.
'use strict';
module.exports = require('./build/Release/fedtune_native_crypto.node');
