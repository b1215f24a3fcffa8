export * from './common.ts';
export * from './text.ts';
export * from './jcs.ts';
export * from './problems.ts';
export * from './users.ts';
export * from './events.ts';
export * from './reference.ts';
export * from './validation.ts';
