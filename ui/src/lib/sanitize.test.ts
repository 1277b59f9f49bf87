import { describe, expect, it, vi } from "vitest";
import { sanitizeMatrixHtml, sanitizeMatrixHtmlToString as clean } from "./sanitize";

const served = {
  mediaUrl: (mxc: string) => `estafette-media://localhost/a/thumbnail/${encodeURIComponent(mxc)}`,
};

/** Every element of a fragment, for checks on the DOM rather than on its serialisation. */
function elements(fragment: DocumentFragment): Element[] {
  return Array.from(fragment.querySelectorAll("*"));
}

/** Asserts nothing in the output can run script or restyle the page. */
function expectHarmless(html: string): void {
  const fragment = sanitizeMatrixHtml(html, served);
  for (const element of elements(fragment)) {
    for (const attribute of Array.from(element.attributes)) {
      expect(attribute.name.toLowerCase().startsWith("on"), `${attribute.name} in ${html}`).toBe(false);
      expect(attribute.name.toLowerCase(), html).not.toBe("style");
      expect(attribute.value.replace(/\s/g, "").toLowerCase(), html).not.toContain("javascript:");
    }
    expect(["script", "style", "iframe", "object", "embed", "svg", "math"]).not.toContain(element.localName);
  }
  const serialised = clean(html, served);
  expect(serialised).not.toMatch(/<[^>]*\son[a-z]+\s*=/i);
  expect(serialised).not.toMatch(/<[^>]*\sstyle\s*=/i);
  expect(serialised).not.toMatch(/<[^>]*javascript:/i);
}

describe("allowed formatting", () => {
  it("keeps inline formatting", () => {
    const html = "<b>b</b> <i>i</i> <u>u</u> <strong>st</strong> <em>em</em> <s>s</s> <strike>k</strike> <del>d</del>";
    expect(clean(html)).toBe(html);
    expect(clean("x<sup>2</sup> H<sub>2</sub>O")).toBe("x<sup>2</sup> H<sub>2</sub>O");
  });

  it("keeps block formatting", () => {
    const html = "<h1>1</h1><h2>2</h2><h3>3</h3><h4>4</h4><h5>5</h5><h6>6</h6><p>p<br>q</p><hr><div>d</div>";
    expect(clean(html)).toBe(html);
    expect(clean("<blockquote><p>quoted</p></blockquote>")).toBe("<blockquote><p>quoted</p></blockquote>");
    expect(clean("<details><summary>more</summary>hidden</details>")).toBe(
      "<details><summary>more</summary>hidden</details>",
    );
  });

  it("keeps code blocks and their language class", () => {
    expect(clean('<pre><code class="language-rust">fn main() {}</code></pre>')).toBe(
      '<pre><code class="language-rust">fn main() {}</code></pre>',
    );
    expect(clean('<code class="language-c++">x</code>')).toBe('<code class="language-c++">x</code>');
    expect(clean('<code class="language-objective_c">x</code>')).toBe('<code class="language-objective_c">x</code>');
  });

  it("drops any other code class", () => {
    expect(clean('<code class="hljs">x</code>')).toBe("<code>x</code>");
    expect(clean('<code class="language-rust evil">x</code>')).toBe("<code>x</code>");
    expect(clean('<code class="language-">x</code>')).toBe("<code>x</code>");
    expect(clean('<code class="language-a&quot;b">x</code>')).toBe("<code>x</code>");
    expect(clean('<pre class="language-rust">x</pre>')).toBe("<pre>x</pre>");
  });

  it("keeps lists and a numeric ol start", () => {
    expect(clean("<ul><li>a</li><li>b</li></ul>")).toBe("<ul><li>a</li><li>b</li></ul>");
    expect(clean('<ol start="3"><li>a</li></ol>')).toBe('<ol start="3"><li>a</li></ol>');
    expect(clean('<ol start="-2"><li>a</li></ol>')).toBe('<ol start="-2"><li>a</li></ol>');
    expect(clean('<ol start="three"><li>a</li></ol>')).toBe("<ol><li>a</li></ol>");
    expect(clean('<ul start="3"><li>a</li></ul>')).toBe("<ul><li>a</li></ul>");
  });

  it("keeps tables", () => {
    const html =
      "<table><caption>c</caption><thead><tr><th>h</th></tr></thead><tbody><tr><td>d</td></tr></tbody></table>";
    expect(clean(html)).toBe(html);
  });

  it("keeps spoilers and maths", () => {
    expect(clean('<span data-mx-spoiler="">secret</span>')).toBe('<span data-mx-spoiler="">secret</span>');
    expect(clean('<span data-mx-spoiler="plot">secret</span>')).toBe('<span data-mx-spoiler="plot">secret</span>');
    expect(clean('<span data-mx-maths="x^2">x²</span>')).toBe('<span data-mx-maths="x^2">x²</span>');
    expect(clean('<div data-mx-maths="\\sum">∑</div>')).toBe('<div data-mx-maths="\\sum">∑</div>');
  });

  it("drops attributes not allowed on that element", () => {
    expect(clean('<p id="x" class="y" title="t" name="n">p</p>')).toBe("<p>p</p>");
    expect(clean('<div data-mx-color="#ff0000" data-foo="1">d</div>')).toBe("<div>d</div>");
    expect(clean('<b data-mx-spoiler="">b</b>')).toBe("<b>b</b>");
    expect(clean('<a name="anchor" class="x" id="y">a</a>')).toBe('<a name="anchor">a</a>');
    expect(clean('<font face="Comic Sans" size="7">f</font>')).toBe("<font>f</font>");
  });
});

describe("colours", () => {
  it("keeps #rrggbb colours", () => {
    expect(clean('<font color="#00ff00">g</font>')).toBe('<font color="#00ff00">g</font>');
    expect(clean('<font data-mx-color="#FF0000" data-mx-bg-color="#0000aa">x</font>')).toBe(
      '<font data-mx-bg-color="#0000aa" data-mx-color="#FF0000">x</font>',
    );
    expect(clean('<span data-mx-color="#123abc" data-mx-bg-color="#ABCDEF">x</span>')).toBe(
      '<span data-mx-bg-color="#ABCDEF" data-mx-color="#123abc">x</span>',
    );
  });

  it("drops any other colour value", () => {
    for (const value of ["red", "#fff", "#ff000080", "#gggggg", "rgb(1,2,3)", " #ff0000", "#ff0000;background:url(x)"]) {
      expect(clean(`<font color="${value}" data-mx-color="${value}">x</font>`), value).toBe("<font>x</font>");
      expect(clean(`<span data-mx-bg-color="${value}">x</span>`), value).toBe("<span>x</span>");
    }
  });
});

describe("dangerous elements", () => {
  it("removes scripts with their content", () => {
    expect(clean("a<script>alert(1)</script>b")).toBe("ab");
    expect(clean("<script>alert(1)</script>after")).toBe("after");
    expect(clean('<p>a<script src="https://evil.example/x.js"></script>b</p>')).toBe("<p>ab</p>");
  });

  it("removes style elements with their content", () => {
    expect(clean("<style>body{display:none}</style>x")).toBe("x");
    expect(clean("<p>a<style>*{color:red}</style>b</p>")).toBe("<p>ab</p>");
  });

  it("removes svg and math with everything inside", () => {
    // happy-dom's parser lets a script inside svg swallow what follows, so only assert absence here.
    expect(clean("<svg><script>alert(1)</script></svg>ok")).not.toMatch(/alert|script|svg/);
    expect(clean('<svg onload="alert(1)"><a href="javascript:alert(1)"><text>t</text></a></svg>ok')).toBe("ok");
    expect(clean("<math><mi>x</mi></math>ok")).toBe("ok");
  });

  it("removes embedding and form elements with their content", () => {
    expect(clean('<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;">inner</iframe>ok')).toBe("ok");
    expect(clean("<object data=x>fallback</object>ok")).toBe("ok");
    expect(clean("<embed src=x>ok")).toBe("ok");
    expect(clean("<template><b>t</b></template>ok")).toBe("ok");
    expect(clean("<noscript><b>n</b></noscript>ok")).toBe("ok");
    expect(clean('<form action="https://evil.example"><input value="v"><textarea>t</textarea><select><option>o</option></select><button>b</button></form>ok')).toBe("ok");
    expect(clean("<button>b</button><textarea>t</textarea>ok")).toBe("ok");
    expect(clean('<title>t</title><meta http-equiv="refresh" content="0;url=https://evil.example"><link rel="stylesheet">ok')).toBe("ok");
  });

  it("strips the reply fallback", () => {
    expect(clean("<mx-reply><blockquote><a href=\"https://matrix.to/#/!r:x/$e\">In reply to</a> quoted</blockquote></mx-reply>answer")).toBe(
      "answer",
    );
    expect(clean("<MX-REPLY>quoted</MX-REPLY>answer")).toBe("answer");
  });

  it("unwraps unknown elements, keeping their text", () => {
    expect(clean("<marquee>moving <b>text</b></marquee>")).toBe("moving <b>text</b>");
    expect(clean("<blink>on</blink> off")).toBe("on off");
    expect(clean("<my-widget foo=bar><i>inner</i></my-widget>")).toBe("<i>inner</i>");
    expect(clean("<center><section><article>deep</article></section></center>")).toBe("deep");
  });

  it("drops comments and processing instructions", () => {
    expect(clean("a<!-- secret -->b")).toBe("ab");
    expect(clean('<?xml version="1.0"?>x')).toBe("x");
    expect(clean("<![CDATA[c]]>x")).toBe("x");
  });
});

describe("attributes", () => {
  it("removes event handlers from allowed elements", () => {
    expect(clean('<b onclick="alert(1)" onmouseover="alert(2)">x</b>')).toBe("<b>x</b>");
    expect(clean('<p ONCLICK="alert(1)">x</p>')).toBe("<p>x</p>");
    expect(clean('<a href="https://ok.example/" onfocus="alert(1)">x</a>')).toBe(
      '<a href="https://ok.example/" rel="noopener noreferrer" target="_blank">x</a>',
    );
    expect(clean('<details open ontoggle="alert(1)"><summary>s</summary></details>')).toBe(
      "<details><summary>s</summary></details>",
    );
  });

  it("removes style attributes", () => {
    expect(clean('<p style="background:url(javascript:alert(1))">x</p>')).toBe("<p>x</p>");
    expect(clean('<span style="position:fixed;inset:0" data-mx-spoiler="">x</span>')).toBe(
      '<span data-mx-spoiler="">x</span>',
    );
  });
});

describe("links", () => {
  it("drops javascript:, data: and vbscript: links however they are written", () => {
    for (const href of [
      "javascript:alert(1)",
      "JaVaScRiPt:alert(1)",
      "java\tscript:alert(1)",
      "java&Tab;script:alert(1)",
      "java\nscript:alert(1)",
      "java&#x0A;script:alert(1)",
      "&#106;avascript:alert(1)",
      "&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)",
      "javascript&colon;alert(1)",
      "  javascript:alert(1)",
      "\u0001javascript:alert(1)",
      "\u00a0javascript:alert(1)",
      "\u200bjavascript:alert(1)",
      "data:text/html,<script>alert(1)</script>",
      "DATA:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
      "vbscript:msgbox(1)",
      "file:///etc/passwd",
      "%6Aavascript:alert(1)",
    ]) {
      expect(clean(`<a href="${href}">link</a>`), href).toBe("<a>link</a>");
    }
  });

  it("drops relative and unparsable links", () => {
    for (const href of ["/relative/path", "relative", "#fragment", "//evil.example/x", "?q=1", "", "https://", "http://[::1"]) {
      expect(clean(`<a href="${href}">link</a>`), href).toBe("<a>link</a>");
    }
  });

  it("keeps web, mail, ftp, magnet and matrix.to links, opened outside the app", () => {
    expect(clean('<a href="https://matrix.to/#/@bob:example.org">bob</a>')).toBe(
      '<a href="https://matrix.to/#/@bob:example.org" rel="noopener noreferrer" target="_blank">bob</a>',
    );
    expect(clean('<a href="http://example.org/a?b=c&amp;d=e">x</a>')).toBe(
      '<a href="http://example.org/a?b=c&amp;d=e" rel="noopener noreferrer" target="_blank">x</a>',
    );
    expect(clean('<a href="mailto:bob@example.org">mail</a>')).toContain('href="mailto:bob@example.org"');
    expect(clean('<a href="ftp://ftp.example.org/file">f</a>')).toContain('href="ftp://ftp.example.org/file"');
    expect(clean('<a href="magnet:?xt=urn:btih:abc">m</a>')).toContain('href="magnet:?xt=urn:btih:abc"');
    expect(clean('<a href="HTTPS://Example.ORG/">x</a>')).toContain('href="https://example.org/"');
    expect(clean('<a href="  https://example.org/  ">x</a>')).toContain('href="https://example.org/"');
  });

  it("always opens kept links in a new context without a referrer", () => {
    const fragment = sanitizeMatrixHtml('<a href="https://example.org/" target="_self" rel="opener">x</a>');
    const link = fragment.querySelector("a");
    expect(link?.getAttribute("target")).toBe("_blank");
    expect(link?.getAttribute("rel")).toBe("noopener noreferrer");
    // No href, nothing to open: no target/rel either.
    expect(clean('<a name="top" target="_self">x</a>')).toBe('<a name="top">x</a>');
  });
});

describe("images", () => {
  it("serves mxc images through our own URL", () => {
    expect(clean('<img src="mxc://example.org/abc" alt="cat" title="Cat" width="32" height="24">', served)).toBe(
      '<img width="32" height="24" alt="cat" title="Cat" src="estafette-media://localhost/a/thumbnail/mxc%3A%2F%2Fexample.org%2Fabc">',
    );
  });

  it("drops images whose mxc URI is not one", () => {
    for (const src of [
      "mxc://<script>alert(1)</script>",
      "mxc://example.org/abc/def",
      "mxc://example.org/a%2Fb",
      "mxc://exa mple.org/abc",
      "mxc:///abc",
      "mxc://example.org:99999999/abc",
    ]) {
      expect(clean(`<img src="${src}" alt="x">`, served), src).toBe("x");
    }
    expect(clean('<img src="mxc://[::1]:8448/abc">', served)).toContain("estafette-media://");
  });

  it("passes the mxc URI to mediaUrl", () => {
    const mediaUrl = vi.fn((mxc: string) => `ours:${mxc}`);
    clean('<img src=" mxc://example.org:8448/abc_DEF-1 ">', { mediaUrl });
    expect(mediaUrl).toHaveBeenCalledWith("mxc://example.org:8448/abc_DEF-1");
  });

  it("replaces images it cannot serve by their alt text", () => {
    expect(clean('<img src="https://tracker.example/pixel.png" alt="pixel">', served)).toBe("pixel");
    expect(clean('<img src="data:image/png;base64,AAAA" alt="inline">', served)).toBe("inline");
    expect(clean('<img src="//tracker.example/p.png">', served)).toBe("");
    expect(clean('<img alt="no source">', served)).toBe("no source");
    expect(clean('<img src="mxc://example.org/abc" alt="cat">')).toBe("cat");
    expect(clean('<img src="mxc://example.org/abc" alt="cat">', { mediaUrl: () => null })).toBe("cat");
    expect(clean('<img src="mxc://example.org/abc">', { mediaUrl: () => null })).toBe("");
    expect(clean('<img src="mxc://example.org/abc/../x" alt="odd">', served)).toBe("odd");
  });

  it("never lets an image run script", () => {
    expect(clean("<img src=x onerror=alert(1)>")).toBe("");
    expect(clean('<img src=x onerror=alert(1) alt="pic">')).toBe("pic");
    expect(clean('<img src="mxc://example.org/abc" onerror="alert(1)" onload="alert(2)">', served)).toBe(
      '<img src="estafette-media://localhost/a/thumbnail/mxc%3A%2F%2Fexample.org%2Fabc">',
    );
  });

  it("drops non-numeric sizes", () => {
    expect(clean('<img src="mxc://e.org/a" width="100%" height="1e9">', served)).toBe(
      '<img src="estafette-media://localhost/a/thumbnail/mxc%3A%2F%2Fe.org%2Fa">',
    );
  });
});

describe("text", () => {
  it("keeps text escaped", () => {
    expect(clean("1 &lt; 2 &amp;&amp; <b>3 &gt; 2</b>")).toBe("1 &lt; 2 &amp;&amp; <b>3 &gt; 2</b>");
    expect(clean("a < b & c")).toBe("a &lt; b &amp; c");
    expect(clean("&lt;script&gt;alert(1)&lt;/script&gt;")).toBe("&lt;script&gt;alert(1)&lt;/script&gt;");
    const fragment = sanitizeMatrixHtml("&lt;b&gt;not bold&lt;/b&gt;");
    expect(fragment.querySelector("b")).toBeNull();
    expect(fragment.textContent).toBe("<b>not bold</b>");
  });

  it("keeps attribute values quoted", () => {
    expect(clean('<img src="mxc://e.org/a" alt="&quot; onerror=&quot;alert(1)">')).toBe('" onerror="alert(1)');
    expect(clean('<span data-mx-spoiler="&quot;><script>x</script>">s</span>')).toBe(
      '<span data-mx-spoiler="&quot;><script>x</script>">s</span>',
    );
  });

  it("handles empty and plain input", () => {
    expect(clean("")).toBe("");
    expect(clean("just text")).toBe("just text");
  });
});

describe("structure", () => {
  it("returns a fragment of the current document", () => {
    const fragment = sanitizeMatrixHtml("<p>a <b>b</b></p>");
    expect(fragment).toBeInstanceOf(DocumentFragment);
    for (const element of elements(fragment)) expect(element.ownerDocument).toBe(document);
  });

  it("survives deep nesting and drops what is too deep", () => {
    const deep = "<div>".repeat(5000) + "deep" + "</div>".repeat(5000);
    expect(() => sanitizeMatrixHtml(deep)).not.toThrow();
    const fragment = sanitizeMatrixHtml(deep);
    expect(fragment.textContent).toBe("");
    let depth = 0;
    for (let node: Element | null = fragment.firstElementChild; node; node = node.firstElementChild) depth++;
    expect(depth).toBeLessThanOrEqual(101);
  });

  it("keeps content within the nesting limit", () => {
    const html = "<span>".repeat(50) + "ok" + "</span>".repeat(50);
    expect(sanitizeMatrixHtml(html).textContent).toBe("ok");
  });

  it("counts unwrapped elements towards the limit", () => {
    const deep = "<x-a>".repeat(5000) + "deep" + "</x-a>".repeat(5000);
    expect(() => sanitizeMatrixHtml(deep)).not.toThrow();
  });

  it("leaves nothing dangerous in a mix of payloads", () => {
    for (const payload of [
      '<div onload=x><a href="javascript:x" style="x"><img src=javascript:x onerror=x></a><p onclick=x style="x">t</p></div>',
      '<a href="jav&#x09;ascript:alert(1)" onclick="x">a</a>',
      '<a href="https://ok.example/" style="x" onmouseover="alert(1)">ok</a>',
      "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
      '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">x</maction></math>',
      "<table><tr><td background=javascript:alert(1) onclick=x>c</td></tr></table>",
      "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
      "<img src=\"mxc://e.org/a\" alt=x onerror=alert(1)//",
      "<details open ontoggle=alert(1)>",
      '<font color="#ff0000" onmouseover="alert(1)" style="font-size:100px">f</font>',
      "<code class=\"language-js\" onclick=x>c</code>",
      "<marquee onstart=alert(1)>m</marquee>",
      "<a href=\"&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058alert(1)\">x</a>",
    ]) {
      expectHarmless(payload);
    }
  });
});

describe("a parser that gives up", () => {
  it("shows the message as text rather than losing it", () => {
    const parse = vi.spyOn(DOMParser.prototype, "parseFromString").mockImplementation(() => {
      throw new Error("parser gave up");
    });
    try {
      expect(clean("<b>bonjour</b>", served)).toBe("&lt;b&gt;bonjour&lt;/b&gt;");
    } finally {
      parse.mockRestore();
    }
  });
});
