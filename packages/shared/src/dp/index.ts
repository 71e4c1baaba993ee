// The differential-privacy core: clipping, exact and continuous noise samplers, adaptive clipping,
// and the accountants (RDP, distributed discrete Gaussian, PLD) with the privacy ledger.
export * from './clip.js';
export * from './rational.js';
export * from './random-reader.js';
export * from './bernoulli.js';
export * from './discrete-laplace.js';
export * from './discrete-gaussian.js';
export * from './gaussian.js';
export * from './adaptive-clip.js';
export * from './accountant/special.js';
export * from './accountant/rdp-gaussian.js';
export * from './accountant/conversion.js';
export * from './accountant/ddg.js';
export * from './accountant/rdp-accountant.js';
export * from './accountant/inverse.js';
export * from './accountant/ledger.js';
export * from './accountant/pld.js';
export * from './accountant/fft.js';
export * from './poisson.js';
export * from './skellam.js';
export * from './accountant/skellam.js';
