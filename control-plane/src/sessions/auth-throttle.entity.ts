import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * One counter of the sign-in throttles (failed sign-ins per email and address, code requests
 * per email and per address). Kept in PostgreSQL so lockouts survive restarts and hold across
 * several control-plane replicas. Keys are hashed: the table holds no email or address.
 */
@Entity({ tableName: 'auth_throttles' })
export class AuthThrottle {
  @PrimaryKey({ type: 'string', length: 80 })
  key!: string;

  @Property({ type: 'integer' })
  count!: number;

  @Property({ type: 'datetime' })
  windowStartedAt!: Date;

  @Property({ type: 'datetime', nullable: true })
  lockedUntil: Date | null = null;
}
