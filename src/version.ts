import pkg from '../package.json';

/** Descent's version, from package.json. */
export const VERSION: string = pkg.version;
