import { isUuid } from '@keyward/shared';
import { ValidateBy, type ValidationArguments, type ValidationOptions } from 'class-validator';
import { AppError } from '../errors.js';

/**
 * A model glob: model-name characters plus `*` (any run) and `?` (one character), e.g.
 * `gpt-4o*`, `claude-3-5-*`, `models/gemini-*`. No brackets or braces, so nodes match with a
 * trivial matcher and a glob can never be an expensive pattern.
 */
const MODEL_GLOB = /^[A-Za-z0-9._:/@*?+-]{1,128}$/;
/** Most globs one key or credential may list. */
export const MAX_GLOBS = 64;

/** Keys expire at most this far ahead (a longer-lived key should be rotated instead). */
export const LATEST_EXPIRY = () => new Date(Date.now() + 10 * 365 * 24 * 3600 * 1000);

/** Label keys: a letter or digit, then letters, digits and `._/-` (like Kubernetes label names). */
const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$/;
/** Most labels one key may carry, and the longest value. */
const MAX_LABELS = 32;
const MAX_LABEL_VALUE = 256;

/** What is wrong with a list of model globs, or null when it is fine. */
function globListProblem(value: unknown): string | null {
  if (!Array.isArray(value)) return 'must be a list of model globs';
  if (value.length > MAX_GLOBS) return `may list at most ${MAX_GLOBS} globs`;
  for (const [i, glob] of value.entries()) {
    if (typeof glob !== 'string' || !MODEL_GLOB.test(glob)) {
      return `entry ${i + 1} is not a model glob (1–128 of letters, digits, . _ : / @ + - and the wildcards * ?)`;
    }
  }
  return null;
}

/** What is wrong with a label map, or null when it is fine. */
function labelMapProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'must be an object of string labels';
  const entries = Object.entries(value);
  if (entries.length > MAX_LABELS) return `may hold at most ${MAX_LABELS} labels`;
  for (const [key, label] of entries) {
    if (!LABEL_KEY.test(key)) return `label name "${key.slice(0, 64)}" must be 1–63 letters, digits or . _ / - and start with a letter or digit`;
    if (typeof label !== 'string') return `label "${key}" must have a string value`;
    if (label.length > MAX_LABEL_VALUE) return `label "${key}" is longer than ${MAX_LABEL_VALUE} characters`;
  }
  return null;
}

/** A list of model globs (see `MODEL_GLOB`). */
export function IsModelGlobList(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isModelGlobList',
      validator: {
        validate: (value: unknown) => globListProblem(value) === null,
        defaultMessage: (args?: ValidationArguments) => globListProblem(args?.value) ?? 'must be a list of model globs',
      },
    },
    options,
  );
}

/** An object of string labels (see `LABEL_KEY`). */
export function IsLabelMap(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isLabelMap',
      validator: {
        validate: (value: unknown) => labelMapProblem(value) === null,
        defaultMessage: (args?: ValidationArguments) => labelMapProblem(args?.value) ?? 'must be an object of string labels',
      },
    },
    options,
  );
}

/** A date after the moment of validation. */
export function IsFutureDate(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isFutureDate',
      validator: {
        validate: (value: unknown) => value instanceof Date && !Number.isNaN(value.getTime()) && value.getTime() > Date.now(),
        defaultMessage: () => 'must be a time in the future',
      },
    },
    options,
  );
}

/**
 * Checks an id argument before it reaches a uuid column (PostgreSQL would answer an invalid
 * uuid with an internal error). `what` names the thing in the message: "a key id".
 */
export function assertUuid(value: string, what: string): void {
  if (!isUuid(value)) throw new AppError('BAD_USER_INPUT', `"${String(value).slice(0, 64)}" is not ${what}.`);
}
