import { IsIn } from 'class-validator';
import { Field, InputType, registerEnumType } from 'type-graphql';
import { RowFilterFields } from '../audit-chain/audit-chain.input.js';
import type { ExportFormat, ExportKindName } from './export-kinds.js';

/** GraphQL enum of `ExportKindName`. */
const ExportKindEnum = { USAGE_EVENTS: 'usage-events', AUDIT_ENTRIES: 'audit-entries' } as const satisfies Record<string, ExportKindName>;
registerEnumType(ExportKindEnum, { name: 'ExportKind', description: 'Usage events (needs events:read) or admin audit entries (needs audit:read).' });

/** GraphQL enum of `ExportFormat`. */
const ExportFormatEnum = { NDJSON: 'ndjson', CSV: 'csv' } as const satisfies Record<string, ExportFormat>;
registerEnumType(ExportFormatEnum, { name: 'ExportFormat', description: 'One JSON object a line, or CSV (RFC 4180) with a header row.' });

@InputType({ description: 'Which rows to export and how; every filter given must match.' })
export class CreateExportInput extends RowFilterFields {
  @Field(() => ExportKindEnum)
  @IsIn(Object.values(ExportKindEnum))
  kind!: ExportKindName;

  @Field(() => ExportFormatEnum)
  @IsIn(Object.values(ExportFormatEnum))
  format!: ExportFormat;

  @Field(() => Date, { description: 'Rows at or after this time: when the request started (usage events) or the entry was recorded.' })
  from!: Date;

  @Field(() => Date, { description: 'Rows before this time.' })
  to!: Date;
}
