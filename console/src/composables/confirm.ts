import { useDialog, useMessage } from 'naive-ui';
import { errorMessage } from '@/api/errors';

/** What a confirmation dialog says and does. */
export interface ConfirmOptions {
  readonly title: string;
  readonly content: string;
  /** The button label: a verb that names the action ("Revoke key"), never just "OK". */
  readonly confirmText: string;
  /** Runs when confirmed; the dialog shows a spinner until it settles and stays open if it throws. */
  readonly action: () => Promise<unknown>;
  /** Irreversible actions get a red button. Defaults to true. */
  readonly danger?: boolean;
}

/**
 * Asks before a destructive action. Resolves true once the action succeeded, false when the
 * person cancelled. A failed action keeps the dialog open with the error shown as a toast, so
 * they can retry or cancel.
 */
export function useConfirm(): (options: ConfirmOptions) => Promise<boolean> {
  const dialog = useDialog();
  const message = useMessage();
  return (options) =>
    new Promise<boolean>((resolve) => {
      const open = options.danger === false ? dialog.info : dialog.warning;
      open({
        title: options.title,
        content: options.content,
        positiveText: options.confirmText,
        negativeText: 'Cancel',
        positiveButtonProps: { type: options.danger === false ? 'primary' : 'error' },
        autoFocus: false,
        onPositiveClick: async () => {
          try {
            await options.action();
            resolve(true);
            return true;
          } catch (error) {
            message.error(errorMessage(error));
            return false;
          }
        },
        onNegativeClick: () => resolve(false),
        onClose: () => resolve(false),
        onMaskClick: () => resolve(false),
      });
    });
}
