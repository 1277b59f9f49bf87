import { describe, expect, it } from "vitest";
import { sanitizeMatrixHtml, sanitizeMatrixHtmlToString as clean } from "./sanitize";

const served = { mediaUrl: (mxc: string) => `estafette-media://localhost/a/thumbnail/${encodeURIComponent(mxc)}` };

describe("sanitizeMatrixHtml", () => {
  it("keeps the formatting the spec allows", () => {
    expect(clean("<b>bold</b> <i>it</i> <strong>s</strong> <em>e</em> <del>d</del>")).toBe(
      "<b>bold</b> <i>it</i> <strong>s</strong> <em>e</em> <del>d</del>",
    );
    expect(clean('<pre><code class="language-rust">fn main() {}</code></pre>')).toBe(
      '<pre><code class="language-rust">fn main() {}</code></pre>',
    );
    expect(clean('<ol start="3"><li>a</li></ol><blockquote><p>q</p></blockquote>')).toBe(
      '<ol start="3"><li>a</li></ol><blockquote><p>q</p></blockquote>',
    );
    expect(clean("<table><thead><tr><th>h</th></tr></thead><tbody><tr><td>c</td></tr></tbody></table>")).toBe(
      "<table><thead><tr><th>h</th></tr></thead><tbody><tr><td>c</td></tr></tbody></table>",
    );
    expect(clean('<span data-mx-spoiler="">secret</span>')).toBe('<span data-mx-spoiler="">secret</span>');
  });

  it("removes scripts with their content", () => {
    expect(clean("a<script>alert(1)</script>b")).toBe("ab");
    expect(clean("<svg><script>alert(1)</script></svg>ok")).not.toMatch(/alert|script|svg/);
    expect(clean('<iframe src="https://evil.example"></iframe>ok')).toBe("ok");
    expect(clean("<object data=x></object>ok")).toBe("ok");
    expect(clean("<embed src=x>")).toBe("");
  });

  it("removes event handlers", () => {
    expect(clean('<b onclick="alert(1)" onmouseover="alert(2)">x</b>')).toBe("<b>x</b>");
    expect(clean('<img src=x onerror="alert(1)" alt="pic">')).toBe("pic");
    expect(clean('<a href="https://ok.example" onfocus="alert(1)">x</a>')).not.toMatch(/onfocus/);
  });

  it("drops javascript:, data: and vbscript: links however they are written", () => {
    for (const href of [
      "javascript:alert(1)",
      "JaVaScRiPt:alert(1)",
      "java\tscript:alert(1)",
      "&#106;avascript:alert(1)",
      "  javascript:alert(1)",
      "\u0001javascript:alert(1)",
      "data:text/html,<script>alert(1)</script>",
      "vbscript:msgbox(1)",
      "/relative/path",
    ]) {
      const html = clean(`<a href="${href}">link</a>`);
      expect(html, href).toBe("<a>link</a>");
    }
  });

  it("keeps web and mail links, opened outside the app", () => {
    expect(clean('<a href="https://matrix.to/#/@bob:example.org">bob</a>')).toBe(
      '<a href="https://matrix.to/#/@bob:example.org" rel="noopener noreferrer" target="_blank">bob</a>',
    );
    expect(clean('<a href="mailto:bob@example.org">mail</a>')).toContain('href="mailto:bob@example.org"');
  });

  it("removes styles", () => {
    expect(clean('<p style="background:url(javascript:alert(1))">x</p>')).toBe("<p>x</p>");
    expect(clean("<style>body{display:none}</style>x")).toBe("x");
    expect(clean('<font color="red" data-mx-color="#ff0000">x</font>')).toBe('<font data-mx-color="#ff0000">x</font>');
    expect(clean('<code class="hljs evil">x</code>')).toBe("<code>x</code>");
  });

  it("serves only mxc images, through our own scheme", () => {
    expect(clean('<img src="mxc://example.org/abc" alt="cat">', served)).toBe(
      '<img alt="cat" src="estafette-media://localhost/a/thumbnail/mxc%3A%2F%2Fexample.org%2Fabc">',
    );
    expect(clean('<img src="https://tracker.example/pixel.png" alt="pixel">', served)).toBe("pixel");
    expect(clean('<img src="mxc://example.org/abc" alt="cat">')).toBe("cat");
  });

  it("strips the reply fallback and unwraps unknown elements", () => {
    expect(clean("<mx-reply><blockquote>quoted</blockquote></mx-reply>answer")).toBe("answer");
    expect(clean("<marquee>moving <b>text</b></marquee>")).toBe("moving <b>text</b>");
  });

  it("keeps text as text", () => {
    expect(clean("1 &lt; 2 &amp;&amp; <b>3 &gt; 2</b>")).toBe("1 &lt; 2 &amp;&amp; <b>3 &gt; 2</b>");
  });

  it("survives deep nesting", () => {
    const deep = "<div>".repeat(5000) + "x" + "</div>".repeat(5000);
    expect(() => sanitizeMatrixHtml(deep)).not.toThrow();
  });

  it("leaves no dangerous attribute anywhere", () => {
    const payload =
      '<div onload=x><a href="javascript:x" style="x"><img src=javascript:x onerror=x></a><p onclick=x style="x">t</p></div>';
    const html = clean(payload);
    expect(html).not.toMatch(/\son\w+=/i);
    expect(html).not.toMatch(/style=/i);
    expect(html).not.toMatch(/javascript:/i);
  });
});
