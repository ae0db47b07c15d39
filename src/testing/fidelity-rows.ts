/** Synthetic outputs of predict-private (test support, not in the build). */

/** A prediction row of `private_predictions.csv` for image `image` (agreeing, error 1e-6, 100 online bytes unless told). */
export function fidelityRow(image: string, options: { agree?: boolean; maxDissimilarityError?: number; onlineBytes?: number } = {}) {
  const agree = options.agree ?? true;
  return {
    image,
    trueUser: 'u1',
    plaintextPredicted: 'u1',
    privatePredicted: agree ? 'u1' : 'u2',
    agree,
    plaintextMargin: 0.5,
    maxDissimilarityError: options.maxDissimilarityError ?? 1e-6,
    rounds: 10,
    onlineBytes: options.onlineBytes ?? 100,
    onlineSeconds: 1,
    offlineSeconds: 2,
  };
}

/** A row of `private_cost_layers.csv`: `bytes` online per server, seconds bytes / 100. */
export function layerRow(name: string, bytes: number) {
  return { layer: name, rounds: 2, onlineBytesS0: bytes, onlineBytesS1: bytes, offlineBytesS0: 0, offlineBytesS1: 0, seconds: bytes / 100 };
}
