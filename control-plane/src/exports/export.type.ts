import { Field, ObjectType } from 'type-graphql';

@ObjectType({ description: 'A signed download link for one export.' })
export class ExportLink {
  @Field(() => String, {
    description:
      'GET it (no cookie or token needed) for the file, streamed; it works for this organization, kind, format, range and filters only, until `expiresAt`.',
  })
  url!: string;

  @Field(() => String, { description: 'The name the download is saved under.' })
  fileName!: string;

  @Field(() => Date)
  expiresAt!: Date;
}
