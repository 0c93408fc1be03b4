import { Membership } from '../organizations/membership.entity.js';
import { Organization } from '../organizations/organization.entity.js';
import { Team } from '../teams/team.entity.js';
import { User } from '../users/user.entity.js';

/**
 * Every entity class. Listed explicitly (no folder scanning) so the same list works from
 * `src` under vitest and from `dist` in production.
 */
export const ENTITIES = [Organization, User, Membership, Team];
