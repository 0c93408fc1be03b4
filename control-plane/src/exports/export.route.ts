import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Request, Response } from 'express';
import { sqlRows } from '../config-publish/sql.js';
import { answerRouteFailure, RouteError } from '../http/rest-errors.js';
import type { RouteRegistrar } from '../http/route-registrar.js';
import { EXPORT_WRITERS, type ExportWriter } from './export-format.js';
import { EXPORT_KINDS, type ExportRequest } from './export-kinds.js';
import { EXPORT_ROUTE, exportFileName, readExportLink } from './export-links.js';
import { exportPages } from './export-rows.js';

/** `gzip` in `Accept-Encoding`, unless it is refused with `q=0`. */
const ACCEPTS_GZIP = /(^|,)\s*gzip\s*(;\s*q=(0?\.\d*[1-9]\d*|1(\.0*)?)\s*)?(,|$)/i;

/**
 * `GET /v1/exports/<usage-events|audit-entries>.<ndjson|csv>?…&signature=…`: the download
 * behind a link `createExport` signed. The link is the whole authorization (no cookie or token),
 * checked by `readExportLink`; refusals before the first byte are `{ error: { code, message } }`
 * with 400, 403, 404, 410 or 503. Rows are read a page at a time only as the client takes them
 * (`pipeline` waits while the socket is full), gzipped when the client accepts it; a failure
 * part way cuts the download short, so a partial file never looks complete.
 */
export const registerExportRoutes: RouteRegistrar = (app, services) => {
  app.get(EXPORT_ROUTE, async (req: Request, res: Response) => {
    try {
      const request = readExportLink(services.config.keyPepper, String(req.params.file), req.query as Record<string, unknown>);
      const em = services.orm.em.fork({ clear: true }) as EntityManager;
      const [org] = await sqlRows(em, 'select 1 from organizations where id = ?', [request.orgId]);
      if (!org) throw new RouteError(404, 'NOT_FOUND', 'The organization this export belongs to no longer exists.');
      const pages = exportPages(em, request);
      // The first page is read before the status line, so a database that is away is still a 503.
      const first = await pages.next();
      const writer = EXPORT_WRITERS[request.format];
      const gzip = ACCEPTS_GZIP.test(String(req.headers['accept-encoding'] ?? ''));
      res.setHeader('content-type', writer.contentType);
      res.setHeader('content-disposition', `attachment; filename="${exportFileName(request)}"`);
      res.setHeader('cache-control', 'private, no-store');
      res.setHeader('vary', 'accept-encoding');
      if (gzip) res.setHeader('content-encoding', 'gzip');
      const body = Readable.from(exportText(writer, request, first, pages), { objectMode: false });
      await (gzip ? pipeline(body, createGzip(), res) : pipeline(body, res));
    } catch (error) {
      if (!res.headersSent) {
        for (const header of ['content-type', 'content-disposition', 'content-encoding']) res.removeHeader(header);
        return answerRouteFailure(res, services.log, error, 'exporting');
      }
      if ((error as { code?: string }).code === 'ERR_STREAM_PREMATURE_CLOSE') {
        services.log.info({ path: req.path }, 'the client stopped reading an export before its end');
      } else {
        services.log.error({ err: error }, 'an export failed part way; the download was cut short');
      }
      res.destroy();
    }
  });
};

/** The export's text: the head and first page together, then one chunk a page. */
async function* exportText(
  writer: ExportWriter,
  request: ExportRequest,
  first: IteratorResult<Record<string, unknown>[]>,
  pages: AsyncGenerator<Record<string, unknown>[]>,
): AsyncGenerator<string> {
  const columns = EXPORT_KINDS[request.kind].chain.fieldNames;
  const head = writer.head(columns) + (first.done ? '' : writer.rows(columns, first.value));
  if (head) yield head;
  if (first.done) return;
  for await (const page of pages) yield writer.rows(columns, page);
}
