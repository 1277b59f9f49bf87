import type { Action } from "svelte/action";
import { thumbnailUrl } from "../../lib/backend";
import { sanitizeMatrixHtml } from "../../lib/sanitize";

/** Shows a formatted body: sanitised to the spec's allowed HTML, built as DOM nodes (no innerHTML). */
export const formattedBody: Action<HTMLElement, { html: string; account: string }> = (node, params) => {
  function render({ html, account }: { html: string; account: string }) {
    node.replaceChildren(
      sanitizeMatrixHtml(html, { mediaUrl: (mxc) => thumbnailUrl(account, mxc, 256) }),
    );
  }
  render(params);
  return { update: render };
};
