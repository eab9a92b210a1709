import { describe, expect, it } from "vitest";
import { excerpt } from "../../src/blog/markdown.js";

describe("excerpt", () => {
  it("keeps characters that are text, not Markdown: underscores in names, stars in sums, tags as written", () => {
    expect(excerpt("Ask user_name about 2 * 3 ~ 6 and a > b.")).toBe(
      "Ask user_name about 2 * 3 ~ 6 and a > b.",
    );
    expect(excerpt("<script>alert(1)</script> is shown as text")).toBe(
      "<script>alert(1)</script> is shown as text",
    );
    expect(excerpt("Tag #42 in the middle")).toBe("Tag #42 in the middle");
  });

  it("drops the marks of emphasis, quotes, links, headings, code blocks and images", () => {
    const source = [
      "# Title",
      "",
      "Some **bold** and _italic_ text with a [link](https://example.com) and `code`.",
      "",
      "> quoted line",
      "",
      "```",
      "hidden code",
      "```",
      "",
      "![alt text](/blog/images/x.png) ~~struck~~",
    ].join("\n");
    expect(excerpt(source)).toBe("Some bold and italic text with a link and code. quoted line struck");
  });

  it("cuts long text with an ellipsis", () => {
    const cut = excerpt("word ".repeat(100), 20);
    expect(cut.length).toBeLessThanOrEqual(20);
    expect(cut.endsWith("…")).toBe(true);
  });
});
