// The wire protocol version. A node and a coordinator must agree exactly at hello.
export const PROTOCOL_VERSION = 1;
