/** Synthetic outputs of predict-private (test support, not in the build). */

/**
 * A prediction row of `private_predictions.csv` for image `image`: plaintext label u1, agreeing,
 * margin 0.5, error 1e-6, 100 online bytes unless told; with `labels` [plaintext, private], those
 * labels and `agree` as they say.
 */
export function fidelityRow(
  image: string,
  options: { agree?: boolean; maxDissimilarityError?: number; onlineBytes?: number; labels?: readonly [string, string]; margin?: number } = {},
) {
  const agree = options.labels === undefined ? (options.agree ?? true) : options.labels[0] === options.labels[1];
  const [plaintext, privateLabel] = options.labels ?? ['u1', agree ? 'u1' : 'u2'];
  return {
    image,
    trueUser: plaintext,
    plaintextPredicted: plaintext,
    privatePredicted: privateLabel,
    agree,
    plaintextMargin: options.margin ?? 0.5,
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
