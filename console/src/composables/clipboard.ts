/**
 * Copies text to the clipboard. The async Clipboard API needs a secure context; a console served
 * over plain HTTP on an internal host is not one, so fall back to a hidden textarea there.
 */
export async function copyText(text: string): Promise<void> {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.appendChild(area);
  area.select();
  try {
    if (!document.execCommand('copy')) throw new Error('The browser refused to copy. Select the text and copy it by hand.');
  } finally {
    area.value = '';
    area.remove();
  }
}
