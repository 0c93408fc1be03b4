import { Entity, Enum, ManyToOne, OptionalProps, Property, Unique, type Ref } from '@mikro-orm/core';
import type { PolicyDocument, PolicyFormat } from '@keyward/shared';
import { OrgScopedEntity } from '../db/base.entity.js';
import { Policy } from './policy.entity.js';

/**
 * One version of a policy, never changed once written: the normalized document nodes enforce,
 * the text as its author wrote it (so the editor shows their comments and layout), who made the
 * change and why.
 */
@Entity({ tableName: 'policy_versions' })
@Unique({ properties: ['policy', 'version'] })
export class PolicyVersion extends OrgScopedEntity {
  /** Properties with defaults, optional in `em.create`. */
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'note';

  @ManyToOne({ entity: () => Policy, ref: true, deleteRule: 'cascade' })
  policy!: Ref<Policy>;

  /** 1 for the first version, then one more per change. */
  @Property({ type: 'integer' })
  version!: number;

  /** What `validatePolicyDocument` returned: defaults filled in, shorthands expanded. */
  @Property({ type: 'json' })
  document!: PolicyDocument;

  /** The JSON or YAML text as written. */
  @Property({ type: 'text' })
  source!: string;

  @Enum({ items: ['json', 'yaml'], type: 'string' })
  format!: PolicyFormat;

  /** Audit actor of the change: `user:<id>` or `token:<id>`. */
  @Property({ type: 'string', length: 80 })
  changedBy!: string;

  /** Why the change was made, as its author put it. */
  @Property({ type: 'string', length: 500, nullable: true })
  note: string | null = null;
}
