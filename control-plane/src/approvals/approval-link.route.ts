import { isUuid } from '@keyward/shared';
import type { EntityManager } from '@mikro-orm/postgresql';
import express, { type Request, type Response } from 'express';
import { recordAudit } from '../audit/audit.service.js';
import { AppError } from '../errors.js';
import { clientAddress } from '../http/client-address.js';
import { escapeHtml, sendPlainPage } from '../http/plain-page.js';
import type { RouteRegistrar } from '../http/route-registrar.js';
import { isSameOrigin } from '../http/same-origin.js';
import type { Services } from '../services.js';
import { ApprovalRequest } from './approval.entity.js';
import { checkedReason, settleApproval } from './approval-decide.js';
import { ApprovalLinkUse } from './approval-link-use.entity.js';
import { verifyApprovalLinkToken, type LinkAction, type VerifiedLink } from './approval-links.js';

const VERB: Record<LinkAction, { button: string; done: string; decision: 'approved' | 'rejected' }> = {
  approve: { button: 'Approve request', done: 'Approved', decision: 'approved' },
  reject: { button: 'Reject request', done: 'Rejected', decision: 'rejected' },
};

/**
 * Signed Approve / Reject links from notifications. `GET /approvals/:id/:action?t=…` checks the
 * link and shows the held request with one button; it never decides, so chat unfurlers, mail
 * scanners and link previews that fetch it change nothing. The button POSTs back to the same
 * URL, which checks the link again, decides as `link:<channel>` and burns the link.
 */
export const registerApprovalLinkRoutes: RouteRegistrar = (app, services) => {
  app.get('/approvals/:id/:action', async (req, res) => {
    const checked = await checkLink(services, req);
    if (!checked.ok) return page(res, checked.status, checked.title, checked.body);
    const { approval, action } = checked;
    const reasonLabel = action === 'reject' ? 'Reason (shown to the agent)' : 'Note (optional)';
    page(
      res,
      200,
      `${VERB[action].button}?`,
      describe(approval) +
        // No action attribute: the form posts to this very URL, link token included.
        `<form method="post"><label>${reasonLabel}<br><textarea name="reason" rows="3" maxlength="500"></textarea></label>` +
        `<p><button type="submit">${VERB[action].button}</button></p></form>` +
        `<p class="small">Waiting until ${escapeHtml(approval.expiresAt.toISOString())}; then the request is ${approval.onTimeout === 'allow' ? 'allowed' : 'blocked'}. This link works once.</p>`,
    );
  });

  app.post('/approvals/:id/:action', express.urlencoded({ extended: false, limit: '8kb' }), async (req: Request, res: Response) => {
    if (!isSameOrigin(req, services.config.publicUrl)) return page(res, 403, 'Cross-site request refused', '');
    const checked = await checkLink(services, req);
    if (!checked.ok) return page(res, checked.status, checked.title, checked.body);
    const { approval, action, link } = checked;
    const orgId = approval.organization.id;
    const actor = `link:${link.channel}`;
    const audit = {
      orgId,
      actor,
      action: `${action}Request`,
      targetId: approval.id,
      ip: clientAddress(req),
      userAgent: String(req.headers['user-agent'] ?? ''),
      requestId: String(res.getHeader('x-request-id')),
    };
    let reason: string | null = null;
    try {
      reason = checkedReason(typeof req.body?.reason === 'string' ? req.body.reason : null);
      await settleApproval(services, orgId, approval.id, { decision: VERB[action].decision, actor, reason, link: { jti: link.jti, action } });
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      await recordAudit(services, { ...audit, outcome: 'failure', errorCode: error.code, args: { id: approval.id, reason } });
      return page(res, error.code === 'BAD_USER_INPUT' ? 400 : 409, 'Nothing was changed', `<p>${escapeHtml(error.message)}</p>`);
    }
    await recordAudit(services, { ...audit, outcome: 'success', errorCode: null, args: { id: approval.id, reason } });
    services.log.info({ approvalId: approval.id, decidedBy: actor }, `approval ${VERB[action].decision} through a signed link`);
    page(res, 200, VERB[action].done, `<p>The node holding the request has been told.</p>${describe(approval)}`);
  });
};

type LinkCheck = { ok: true; approval: ApprovalRequest; action: LinkAction; link: VerifiedLink } | { ok: false; status: number; title: string; body: string };

async function checkLink(services: Services, req: Request): Promise<LinkCheck> {
  const id = String(req.params.id);
  const action = String(req.params.action);
  if (!isUuid(id) || (action !== 'approve' && action !== 'reject')) {
    return { ok: false, status: 404, title: 'Not found', body: '<p>This is not an approval link.</p>' };
  }
  const token = typeof req.query.t === 'string' ? req.query.t : '';
  const verified = verifyApprovalLinkToken(services.config.keyPepper, id, action, token);
  if (!verified.ok) {
    if (verified.problem === 'expired') {
      return { ok: false, status: 410, title: 'This link has expired', body: '<p>The request stopped waiting for a decision.</p>' };
    }
    return { ok: false, status: 400, title: 'This link does not work', body: '<p>Copy the whole link from the message it came in.</p>' };
  }
  const em = services.orm.em.fork({ clear: true }) as EntityManager;
  const approval = await em.findOne(ApprovalRequest, { id }, { filters: { tenant: false }, populate: ['key'] });
  if (!approval) return { ok: false, status: 404, title: 'Not found', body: '<p>This request no longer exists.</p>' };
  if (await em.count(ApprovalLinkUse, { id: verified.link.jti }, { filters: { tenant: false } })) {
    return { ok: false, status: 410, title: 'This link was already used', body: describe(approval) };
  }
  if (approval.status !== 'pending') {
    const state = approval.decision ? `was already ${approval.decision}` : `is no longer waiting (${approval.status.replace('_', ' ')})`;
    return { ok: false, status: 409, title: `This request ${state}`, body: describe(approval) };
  }
  return { ok: true, approval, action, link: verified.link };
}

/** What the request is, from its (already redacted) summary; every value escaped. */
function describe(approval: ApprovalRequest): string {
  const key = approval.key.getEntity();
  const rows = [
    ['Key', `${key.name} (${key.prefix}), ${key.ownerLabel}`],
    ['Call', `${approval.api} ${approval.endpoint}${approval.model ? `, ${approval.model}` : ''}`],
    [
      'Held by',
      approval.reasonKind === 'policy'
        ? `policy rule ${approval.ruleId}`
        : approval.reasonKind === 'budget'
          ? 'a budget'
          : 'the key’s hold after unusual activity',
    ],
  ];
  const messages = approval.summary.messages
    .slice(-6)
    .map((m) => `<p><b>${escapeHtml(m.role)}:</b> ${escapeHtml(cut(m.text, 1000))}</p>`)
    .join('');
  const calls = approval.summary.toolCalls
    .slice(0, 5)
    .map((c) => `<p><b>tool call</b> <code>${escapeHtml(c.name)}</code> <code>${escapeHtml(cut(c.arguments, 500))}</code></p>`)
    .join('');
  return (
    `<table>${rows.map(([k, v]) => `<tr><th>${k}</th><td>${escapeHtml(v!)}</td></tr>`).join('')}</table>` +
    (messages || calls ? `<div class="summary">${messages}${calls}</div>` : '')
  );
}

/** The approval pages: wider, with the request's summary and the reason box. */
function page(res: Response, status: number, title: string, body: string): void {
  sendPlainPage(res, status, title, body, {
    width: '36rem',
    style:
      '.summary{border-left:3px solid #ccc;padding-left:1rem;margin:1rem 0;overflow-wrap:anywhere}textarea{width:100%;font:inherit}.small{color:#555;font-size:.9em}',
  });
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
