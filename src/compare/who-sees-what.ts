/** What one party of a system can learn. */
export interface Exposure {
  readonly party: string;
  readonly learns: string;
}

/** Kinds of system in the comparison table. */
export type SystemKind = 'privedge' | 'privedge-2pc' | 'centralised-cnn' | '2p-dnn' | 'wt-server-aided' | 'wt-fully-connected' | 'centralised-sgd' | 'owner-alone';

const OWN = 'only its own training images';

/**
 * Who can learn what, per system, under each system's own threat model (semi-honest parties;
 * for PrivEdge's 2PC, non-colluding servers). Each entry says what the party sees beyond the
 * public facts (architecture, sizes, number of users or owners). Sources: the PrivEdge paper and
 * `src/mpc-sim` (2PC), `src/he/README.md` (2P-DNN), Phong and Phuong 2019 and `src/collab`.
 */
export const EXPOSURE: Readonly<Record<SystemKind, { readonly summary: string; readonly parties: readonly Exposure[] }>> = {
  privedge: {
    summary: 'Users train locally (see only their own images); in this plaintext reference the evaluator holds every user\'s reconstructor and sees every query in the clear',
    parties: [
      { party: 'user', learns: OWN },
      { party: 'evaluator (plaintext reference)', learns: 'every user\'s trained reconstructor, every query, its dissimilarities to every user and the predicted user' },
      { party: 'client', learns: 'the predicted user' },
    ],
  },
  'privedge-2pc': {
    summary: 'Users train locally; each of the two non-colluding servers sees only random shares of every reconstructor and query; the client learns only the predicted user; S0 and S1 together would learn everything',
    parties: [
      { party: 'user', learns: `${OWN}; sends shares of its trained reconstructor to the two servers once (enrolment)` },
      { party: 'server S0 or S1 (alone)', learns: 'uniformly random additive shares (mod 2^64) of every reconstructor and every query, and values masked by the dealer\'s randomness: nothing about the weights or the query' },
      { party: 'dealer (regulator)', learns: 'nothing: it only deals correlated randomness (it never sees the weights, the masked weights\' products or the queries)' },
      { party: 'client', learns: 'the predicted user only (and one bit, below or above the detection threshold, when asked)' },
      { party: 'S0 and S1 colluding', learns: 'every reconstructor and every query (outside the threat model)' },
    ],
  },
  'centralised-cnn': {
    summary: 'The central server collects every user\'s raw training images and sees every query in the clear',
    parties: [
      { party: 'central server', learns: 'every user\'s raw training images and labels, the model, every query and its prediction' },
      { party: 'user or client', learns: 'the predicted class' },
    ],
  },
  '2p-dnn': {
    summary: 'Trained centrally on plaintext images; at prediction the server sees only Paillier ciphertexts, the client learns the class and every hidden layer\'s pre-activations of its queries (a leak about the weights)',
    parties: [
      { party: 'model owner (training)', learns: 'every raw training image (LeNet-5 is trained centrally in the clear)' },
      { party: 'server (prediction)', learns: 'only Paillier ciphertexts under the client\'s key (semantically secure under DCR), the public key and the number of batches' },
      { party: 'client (key holder)', learns: 'the predicted class, the 10 logits, every hidden layer\'s integer pre-activations for its queries and the public model view (layer sizes, bounds, requantisation constants): enough queries allow model extraction' },
    ],
  },
  'wt-server-aided': {
    summary: 'Owners see their own data and the plaintext model after the other owners\' turns (its change reveals their updates); the server stores only AES-256-GCM ciphertexts (sizes, timing, order visible); predictions are local',
    parties: [
      { party: 'data owner', learns: `${OWN}, and the plaintext weights (and optimizer state) after every other owner's turn: the change since its own last turn is the sum of the other owners' local updates (with K = 2, exactly the other owner's), from which information about their data can be inferred as from gradients; no formal bound` },
      { party: 'server (honest but curious)', learns: 'AES-256-GCM ciphertexts only (no key): message sizes (so the model size), timing, and from the plaintext header the round, model version and which owner uploads; it cannot read, alter or replay a model undetected (owners reject it), only withhold it' },
      { party: 'eavesdropper', learns: 'what the server learns' },
      { party: 'client (prediction)', learns: 'queries stay on the owner\'s device (local plaintext model)' },
    ],
  },
  'wt-fully-connected': {
    summary: 'As server-aided without a server: owners pass AES-256-GCM ciphertexts directly; owners see the plaintext model after the others\' turns; predictions are local',
    parties: [
      { party: 'data owner', learns: `${OWN}, and the plaintext weights after every other owner's turn (the others' accumulated updates; with K = 2, exactly the other owner's)` },
      { party: 'eavesdropper on a link', learns: 'ciphertexts, their sizes and timing, the plaintext header (round, model version, sender, receiver)' },
      { party: 'client (prediction)', learns: 'queries stay on the owner\'s device (local plaintext model)' },
    ],
  },
  'centralised-sgd': {
    summary: 'Reference: one party pools every owner\'s raw training images',
    parties: [{ party: 'central party', learns: 'every owner\'s raw training images and labels' }],
  },
  'owner-alone': {
    summary: 'No sharing: each owner sees only its own data and trains on it alone',
    parties: [{ party: 'data owner', learns: OWN }],
  },
};
