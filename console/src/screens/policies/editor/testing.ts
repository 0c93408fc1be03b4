import { EditorView } from '@codemirror/view';
import type { DOMWrapper, VueWrapper } from '@vue/test-utils';

/** The CodeMirror view of the policy editor in a mounted screen, once its chunk has loaded. */
export async function policyEditorView(wrapper: VueWrapper | DOMWrapper<Element>): Promise<EditorView> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const element = wrapper.find('[data-test="policy-source"]');
    const view = element.exists() ? EditorView.findFromDOM(element.element as HTMLElement) : null;
    if (view) return view;
    if (Date.now() > deadline) throw new Error('no policy editor on the screen');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Replaces the editor's text as typing would. */
export async function typeInEditor(wrapper: VueWrapper | DOMWrapper<Element>, text: string): Promise<void> {
  const view = await policyEditorView(wrapper);
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
}
