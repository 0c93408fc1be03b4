import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

/** GraphQL enum of `ChainKindName`. */
export const AuditChainEnum = { USAGE: 'usage', AUDIT: 'audit' } as const;
registerEnumType(AuditChainEnum, { name: 'AuditChain', description: 'Usage events (`USAGE`) or administrative audit entries (`AUDIT`).' });

/** GraphQL enum of `ChainProblemKind`. */
const AuditChainProblemEnum = {
  ALTERED: 'ALTERED',
  DELETED: 'DELETED',
  INSERTED: 'INSERTED',
  REORDERED: 'REORDERED',
  CHECKPOINT_MISMATCH: 'CHECKPOINT_MISMATCH',
  BAD_SIGNATURE: 'BAD_SIGNATURE',
} as const;
registerEnumType(AuditChainProblemEnum, { name: 'AuditChainProblemKind' });

@ObjectType({ description: 'A public key that signs audit checkpoints (also at /.well-known/keyward-audit-keys.json).' })
export class AuditSigningKeyInfo {
  @Field(() => String)
  keyId!: string;

  @Field(() => String, { description: 'Always `Ed25519`.' })
  algorithm!: string;

  @Field(() => String, { description: 'The public key as base64 SPKI DER.' })
  publicKey!: string;

  @Field(() => Date)
  createdAt!: Date;
}

@ObjectType({ description: 'One place where the audit trail was tampered with.' })
export class AuditChainProblem {
  @Field(() => AuditChainProblemEnum)
  problem!: string;

  @Field(() => AuditChainEnum)
  chain!: string;

  @Field(() => Int, { nullable: true, description: 'The position concerned; for DELETED the first missing one.' })
  seq!: number | null;

  @Field(() => String, { nullable: true, description: 'The altered, inserted or out-of-place row, or the row right after a deleted range.' })
  rowId!: string | null;

  @Field(() => String)
  message!: string;
}

@ObjectType({ description: 'How far one chain was walked.' })
export class AuditChainSummary {
  @Field(() => AuditChainEnum)
  chain!: string;

  @Field(() => Int, {
    nullable: true,
    description: 'The signed checkpoint the walk resumed from (older rows were deleted by retention); null when it began at the first row.',
  })
  anchorSeq!: number | null;

  @Field(() => Int)
  lastSeq!: number;

  @Field(() => Int)
  rowsChecked!: number;

  @Field(() => Int)
  checkpointsChecked!: number;

  @Field(() => Int, { description: 'Rows whose content (prompt and completion text) retention removed; they still verify by the digest their link holds.' })
  contentPurged!: number;
}

@ObjectType({ description: 'The result of re-walking the hash chains of the audit trail.' })
export class AuditTrailVerification {
  @Field(() => Boolean, { description: 'True when nothing was altered, deleted, inserted or reordered and every checkpoint verified.' })
  ok!: boolean;

  @Field(() => [AuditChainSummary])
  chains!: AuditChainSummary[];

  @Field(() => [AuditChainProblem], { description: 'The first 100 problems in trail order; the first is where tampering begins.' })
  problems!: AuditChainProblem[];

  @Field(() => Int)
  problemCount!: number;
}

@ObjectType({ description: 'A signed checkpoint: the chain up to this row, signed with an audit key.' })
export class AuditCheckpointInfo {
  @Field(() => Date)
  signedAt!: Date;

  @Field(() => String)
  keyId!: string;
}

@ObjectType({ description: 'One chained row: its link (position and hashes), a summary of the row, and the checkpoint signed at it, if any.' })
export class AuditTrailRow {
  @Field(() => AuditChainEnum)
  chain!: string;

  @Field(() => Int)
  seq!: number;

  @Field(() => ID)
  rowId!: string;

  @Field(() => String, { description: "The previous link's hash (64 zeros before the first row)." })
  prevHash!: string;

  @Field(() => String, { description: 'sha256(prevHash ‖ canonical row), hex.' })
  hash!: string;

  @Field(() => Date, { description: 'When the row was received (usage event) or recorded (audit entry).' })
  at!: Date;

  @Field(() => String, { description: 'Who: the key prefix and owner label (usage event) or the actor (audit entry).' })
  actor!: string;

  @Field(() => ID, { nullable: true, description: 'The key of a usage event.' })
  keyId!: string | null;

  @Field(() => String, { description: 'What: the endpoint and model (usage event) or the mutation (audit entry).' })
  action!: string;

  @Field(() => String, { description: 'How it ended: the decision (usage event, e.g. `allowed`) or the outcome (audit entry, `success` or `failure`).' })
  result!: string;

  @Field(() => AuditCheckpointInfo, { nullable: true })
  checkpoint!: AuditCheckpointInfo | null;
}

@ObjectType({ description: 'A page of one chain, newest position first.' })
export class AuditTrailPage {
  @Field(() => [AuditTrailRow])
  rows!: AuditTrailRow[];

  @Field(() => String, { nullable: true, description: 'Pass as `after` for the next page; null on the last page.' })
  nextCursor!: string | null;
}
