import { describe, expect, it } from 'vitest';
import { checkSinkForm, fieldOfMessage, sinkInput } from './sink-form';

describe('the audit sink form', () => {
  it('names each missing or malformed field of the chosen kind', () => {
    expect(checkSinkForm('S3', '', { region: 'eu-west-1' })).toEqual({
      name: 'Give the sink a name.',
      bucket: 'Bucket is required.',
      accessKeyId: 'Access key id is required.',
      secretAccessKey: 'Secret access key is required.',
    });
    expect(checkSinkForm('SYSLOG', 'logs', { host: 'logs.example.com', port: '65x' })).toEqual({ port: 'Port must be a whole number from 1 to 65535.' });
    expect(checkSinkForm('HTTPS', 'siem', { url: 'ftp://siem.example.com' })).toEqual({ url: 'Use an https:// URL.' });
  });

  it('sends only the kind’s fields, without blanks, the port as a number', () => {
    expect(sinkInput('SYSLOG', ' rsyslog ', 'OCSF', { host: 'logs.example.com', port: '6514', caCertificate: '', url: 'https://left.over' })).toEqual({
      name: 'rsyslog',
      kind: 'SYSLOG',
      format: 'OCSF',
      host: 'logs.example.com',
      port: 6514,
    });
  });

  it('reads which field a control-plane message is about', () => {
    expect(fieldOfMessage('url: the URL must use https (got "ftp:").')).toBe('url');
    expect(fieldOfMessage('An organization may have at most 10 audit sinks; delete one first.')).toBeNull();
  });
});
