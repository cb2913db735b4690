// Rounding to the nearest integer with halves to the even neighbour (86.5 → 86, 87.5 → 88): Python's
// round() and NumPy's round(), which the reference implementations use where clipscope must match them
// to the pixel or to the quantisation step — torchvision's CenterCrop offsets (decode.ts) and
// onnxruntime's int8 quantisation (scripts/models/quantize.ts). Math.round would round halves up.

export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}
