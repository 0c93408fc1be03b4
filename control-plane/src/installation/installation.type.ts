import { Field, ObjectType, registerEnumType } from 'type-graphql';

/** How Keyward is run, installation-wide (`KEYWARD_EDITION`). */
const EditionEnum = { SELF_HOSTED: 'self-hosted', SERVICE: 'service' } as const;

registerEnumType(EditionEnum, {
  name: 'Edition',
  description: 'SELF_HOSTED: every feature on, no plans. SERVICE: organizations buy plans, which gate features.',
});

@ObjectType('Installation', { description: 'Installation-wide facts the console shows: how Keyward is run and where agents reach it.' })
export class InstallationType {
  @Field(() => EditionEnum)
  edition!: string;

  @Field(() => String, {
    nullable: true,
    description: 'Where agents send their calls (the data plane, from KEYWARD_GATEWAY_URL); null when not configured.',
  })
  gatewayUrl!: string | null;
}
