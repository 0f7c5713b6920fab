/** Base class of every error Descent throws on purpose; `code` is stable for programs to match on. */
export class DescentError extends Error {
  readonly code: string;
  // Names are literals, not new.target.name, so they survive minification.
  constructor(code: string, message: string, name = 'DescentError') {
    super(message);
    this.name = name;
    this.code = code;
  }
}

/** No WebGPU adapter could be obtained (no driver, no browser support). */
export class NoAdapterError extends DescentError {
  constructor(message: string) {
    super('NO_ADAPTER', message, 'NoAdapterError');
  }
}

/** Tensor shapes that do not fit together (e.g. matmul inner dimensions). */
export class ShapeError extends DescentError {
  constructor(message: string) {
    super('SHAPE', message, 'ShapeError');
  }
}

/** A buffer smaller than a dispatch reads or writes. */
export class BufferSizeError extends DescentError {
  constructor(message: string) {
    super('BUFFER_SIZE', message, 'BufferSizeError');
  }
}

/** A binding name the shader does not declare, or a declared binding left unbound. */
export class BindingError extends DescentError {
  constructor(message: string) {
    super('BINDING', message, 'BindingError');
  }
}

/** An override constant the shader does not declare, or a value of the wrong kind. */
export class OverrideError extends DescentError {
  constructor(message: string) {
    super('OVERRIDE', message, 'OverrideError');
  }
}

/** A uniform field that is missing, unknown, or not a finite number. */
export class UniformError extends DescentError {
  constructor(message: string) {
    super('UNIFORM', message, 'UniformError');
  }
}

/** An option outside its valid set or range (unknown activation, bad variant, ...). */
export class OptionError extends DescentError {
  constructor(message: string) {
    super('OPTION', message, 'OptionError');
  }
}

/** WGSL that failed to parse or compile; the message carries the compiler output and numbered source. */
export class ShaderCompileError extends DescentError {
  constructor(message: string) {
    super('SHADER_COMPILE', message, 'ShaderCompileError');
  }
}

/** The GPU device was lost or reported a validation / out-of-memory error. */
export class DeviceError extends DescentError {
  constructor(message: string) {
    super('DEVICE', message, 'DeviceError');
  }
}

/** Training data that cannot be used: wrong width, labels out of range, NaN or Inf, bad batch size. */
export class DataError extends DescentError {
  constructor(message: string) {
    super('DATA', message, 'DataError');
  }
}

/** A model graph whose layers do not fit together, or a layer given bad options. */
export class GraphError extends DescentError {
  constructor(message: string) {
    super('GRAPH', message, 'GraphError');
  }
}

/** A checkpoint file that is truncated, corrupt, or does not match the model. */
export class CheckpointError extends DescentError {
  constructor(message: string) {
    super('CHECKPOINT', message, 'CheckpointError');
  }
}

/** Training stopped: a loss or gradient went non-finite, or the run was aborted. */
export class TrainingError extends DescentError {
  constructor(
    message: string,
    /** The step at which training stopped (0-based), when known. */
    readonly step?: number,
  ) {
    super('TRAINING', message, 'TrainingError');
  }
}

/** The network is in the middle of another operation (a fit, a training session's run, a reset) that must end first. */
export class BusyError extends DescentError {
  constructor(message: string) {
    super('BUSY', message, 'BusyError');
  }
}
