import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { roleIncludes, type Role } from '../auth/roles.js';
import { PlaygroundConversation } from '../playground/conversation.entity.js';
import { AppError } from '../errors.js';
import type { OrgCaller } from '../sessions/caller.js';
import { ApiToken } from '../tokens/api-token.entity.js';
import { Membership } from './membership.entity.js';

/**
 * Changes a member's role. Only owners grant or take away `owner`; nobody hands out or changes
 * a role above their own; the last owner cannot be demoted. Owner rows are locked for the
 * check, so two owners demoting each other at once cannot leave the organization ownerless.
 */
export async function changeMemberRole(em: EntityManager, caller: OrgCaller, memberId: string, role: Role): Promise<Membership> {
  return em.transactional(async (tx) => {
    const member = await tx.findOne(Membership, { id: memberId });
    if (!member) throw new AppError('NOT_FOUND', 'No member with this id.');
    assertMayManage(caller, member.role, role);
    if (member.role === 'owner' && role !== 'owner') await assertAnotherOwner(tx, member.id);
    member.role = role;
    return member;
  });
}

/**
 * Removes a member (a member may also remove themself). Their API tokens in this organization
 * are revoked and their playground conversations deleted with them. The last owner cannot leave.
 */
export async function removeMember(em: EntityManager, caller: OrgCaller, memberId: string): Promise<string> {
  return em.transactional(async (tx) => {
    const member = await tx.findOne(Membership, { id: memberId });
    if (!member) throw new AppError('NOT_FOUND', 'No member with this id.');
    if (member.user.id !== caller.userId) assertMayManage(caller, member.role, member.role);
    if (member.role === 'owner') await assertAnotherOwner(tx, member.id);
    await tx.nativeUpdate(ApiToken, { createdBy: member.user.id, revokedAt: null }, { revokedAt: new Date() });
    await tx.nativeDelete(PlaygroundConversation, { user: member.user.id });
    tx.remove(member);
    return member.id;
  });
}

function assertMayManage(caller: OrgCaller, currentRole: Role, newRole: Role): void {
  if ((currentRole === 'owner' || newRole === 'owner') && caller.role !== 'owner') {
    throw new AppError('FORBIDDEN', 'Only owners can grant, take away or remove the owner role.');
  }
  if (!roleIncludes(caller.role, currentRole) || !roleIncludes(caller.role, newRole)) {
    throw new AppError('FORBIDDEN', `Your role (${caller.role}) cannot manage a member with more permissions than you.`);
  }
}

async function assertAnotherOwner(tx: EntityManager, exceptMemberId: string): Promise<void> {
  const owners = await tx.find(Membership, { role: 'owner' }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  if (!owners.some((o) => o.id !== exceptMemberId)) {
    throw new AppError('CONFLICT', 'An organization needs at least one owner; make someone else owner first.', { reason: 'LAST_OWNER' });
  }
}
