/** What the training worker posts to the page. */
export type Progress =
  | { kind: 'adapter'; description: string }
  | { kind: 'epoch'; epoch: number; epochs: number; loss: number; accuracy: number }
  | { kind: 'done'; accuracy: number }
  | { kind: 'error'; message: string };
