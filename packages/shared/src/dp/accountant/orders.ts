// The default grid of Rényi orders every RDP computation here evaluates on.

/** dp_accounting's DEFAULT_RDP_ORDERS: 1.1, 1.2, ..., 10.9, 11, 12, ..., 63, 128, 256, 512, 1024. */
export const DEFAULT_RDP_ORDERS: readonly number[] = Object.freeze([
  ...Array.from({ length: 99 }, (_, x) => 1 + (x + 1) / 10),
  ...Array.from({ length: 53 }, (_, x) => 11 + x),
  128,
  256,
  512,
  1024,
]);
