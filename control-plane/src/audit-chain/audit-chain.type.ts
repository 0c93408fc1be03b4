import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';

/** GraphQL enum of `ChainKindName`. */
const AuditChainEnum = { USAGE: 'usage', AUDIT: 'audit' } as const;
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
