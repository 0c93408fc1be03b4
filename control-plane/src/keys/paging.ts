import { Field, ObjectType } from 'type-graphql';
import { AppError } from '../errors.js';

/** Default and largest page sizes of cursor-paged lists. */
const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 200;

@ObjectType({ description: 'Where a page of a cursor-paged list ends.' })
export class PageInfo {
  @Field(() => String, { nullable: true, description: 'Pass as `after` to get the next page.' })
  endCursor!: string | null;

  @Field(() => Boolean)
  hasNextPage!: boolean;
}

/** A position in a list ordered by a time and then an id, both descending. */
export interface Cursor {
  readonly at: Date;
  readonly id: string;
}

/** Opaque to clients: base64url of `<ISO time>|<id>`. */
export function encodeCursor(at: Date, id: string): string {
  return Buffer.from(`${at.toISOString()}|${id}`, 'utf8').toString('base64url');
}

/** Parses an `after` argument; a malformed one is a precise BAD_USER_INPUT. */
export function decodeCursor(value: string | null | undefined): Cursor | null {
  if (value === null || value === undefined || value === '') return null;
  const [time, id, ...rest] = Buffer.from(value, 'base64url').toString('utf8').split('|');
  const at = new Date(time ?? '');
  if (rest.length > 0 || !id || Number.isNaN(at.getTime()) || !/^[0-9a-f-]{36}$/i.test(id)) {
    throw new AppError('BAD_USER_INPUT', '`after` is not a cursor from this list.');
  }
  return { at, id };
}

/** Checks `first` and applies the default. */
export function pageSize(first: number | null | undefined): number {
  if (first === null || first === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw new AppError('BAD_USER_INPUT', `\`first\` must be from 1 to ${MAX_PAGE_SIZE}.`);
  }
  return first;
}

/** The where-clause for "strictly after this cursor" in a (time desc, id desc) order. */
export function afterCursor<F extends string>(field: F, cursor: Cursor): Record<string, unknown> {
  return { $or: [{ [field]: { $lt: cursor.at } }, { [field]: cursor.at, id: { $lt: cursor.id } }] };
}
