import { describe, expect, it } from "vitest";
import { gradientPng } from "../../src/demo/png.js";
import { signIn } from "../helpers/sign-in.js";
import { build, Client, setupAdmin } from "../helpers/web.js";

const png = gradientPng([10, 20, 30], [200, 100, 50], 16, 8);

async function createPost(
  admin: Client,
  fields: Record<string, string>,
  files: { field: string; filename: string; content: Buffer; type?: string }[] = [],
) {
  return admin.postMultipart(
    "/admin/blog/new",
    { title: "Hello", body_markdown: "Some *text*.", published: "on", ...fields },
    files,
    { from: "/admin/blog/new" },
  );
}

describe("blog admin", () => {
  it("lets an admin create, edit and delete a post; the public pages follow", async () => {
    const { app } = await build();
    const admin = await setupAdmin(app);
    const created = await createPost(admin, {
      title: "Spring news: 20% off!",
      body_markdown: "# Hi\n\nWelcome **all**.",
    });
    expect(created.statusCode).toBe(303);
    expect(created.headers.location).toBe("/admin/blog");

    const list = await admin.get("/admin/blog");
    expect(list.body).toContain("Spring news: 20% off!");
    expect(list.body).toContain('href="/blog/spring-news-20-off"');

    const post = await new Client(app).get("/blog/spring-news-20-off");
    expect(post.statusCode).toBe(200);
    expect(post.body).toContain("<h1>Hi</h1>");
    expect(post.body).toContain("<strong>all</strong>");

    // The same title again gets the next free address.
    await createPost(admin, { title: "Spring news: 20% off!" });
    expect((await new Client(app).get("/blog/spring-news-20-off-2")).statusCode).toBe(200);

    const id = Number(/href="\/admin\/blog\/(\d+)\/edit"/.exec(list.body)?.[1]);
    const edited = await admin.postMultipart(
      `/admin/blog/${id}/edit`,
      { title: "Spring news", slug: "spring", body_markdown: "Changed." },
      [],
      { from: `/admin/blog/${id}/edit` },
    );
    expect(edited.statusCode).toBe(303);
    // Unticked "published": a draft, gone from the public pages.
    expect((await new Client(app).get("/blog/spring")).statusCode).toBe(404);
    expect((await new Client(app).get("/blog")).body).not.toContain("Spring news</a>");
    // An admin may still look at the draft.
    const draft = await admin.get("/blog/spring");
    expect(draft.statusCode).toBe(200);
    expect(draft.body).toContain("Draft");

    const taken = await admin.postMultipart(
      `/admin/blog/${id}/edit`,
      { title: "Spring news", slug: "spring-news-20-off-2", body_markdown: "x" },
      [],
      { from: `/admin/blog/${id}/edit` },
    );
    expect(taken.statusCode).toBe(409);
    expect(taken.body).toContain("Another post already uses this address");

    const deleted = await admin.post(`/admin/blog/${id}/delete`, {}, { from: `/admin/blog/${id}/delete` });
    expect(deleted.statusCode).toBe(303);
    expect((await admin.get("/blog/spring")).statusCode).toBe(404);
  });

  it("shows form errors for a missing title or body, keeping the input", async () => {
    const { app } = await build();
    const admin = await setupAdmin(app);
    const res = await createPost(admin, { title: "", body_markdown: "kept text" });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain("Title is required.");
    expect(res.body).toContain("kept text");
  });

  it("answers 404 on every admin blog route to users and managers, and asks anonymous visitors to log in", async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    await createPost(admin, { title: "Post" });
    const user = await signIn(app, database, "user@example.com");
    const manager = await signIn(app, database, "manager@example.com", "manager");
    const routes = ["/admin/blog", "/admin/blog/new", "/admin/blog/1/edit", "/admin/blog/1/delete"];
    for (const client of [user, manager]) {
      for (const url of routes) expect((await client.get(url)).statusCode, url).toBe(404);
      const csrf = await client.csrfToken("/recipients/new");
      const post = await client.postMultipart(
        "/admin/blog/new",
        { _csrf: csrf, title: "x", body_markdown: "y" },
        [],
        {
          from: "/recipients/new",
        },
      );
      expect(post.statusCode).toBe(404);
      expect((await client.post("/admin/blog/1/delete", {}, { from: "/recipients/new" })).statusCode).toBe(
        404,
      );
    }
    expect((await new Client(app).get("/admin/blog")).statusCode).toBe(303);
    expect((await admin.get("/admin/blog")).body).toContain("Post");
  });
});

describe("blog markdown", () => {
  it("renders script tags, event handlers and javascript: links inert", async () => {
    const { app } = await build();
    const admin = await setupAdmin(app);
    const body = [
      "<script>alert(1)</script>",
      '<img src=x onerror="alert(2)">',
      "[click](javascript:alert(3))",
      "[click2](JaVaScRiPt:alert(4))",
      "[click3](&#106;avascript:alert(5))",
      "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCg2KTwvc2NyaXB0Pg==)",
      "![img](javascript:alert(7))",
      '<a href="javascript:alert(8)">raw</a>',
      "[ok](https://example.com/page) and [mail](mailto:a@example.com)",
    ].join("\n\n");
    expect((await createPost(admin, { title: "XSS", body_markdown: body })).statusCode).toBe(303);
    const html = (await new Client(app).get("/blog/xss")).body;
    const post = html.slice(html.indexOf('class="post-body"'), html.indexOf("</article>"));
    expect(post).not.toMatch(/<script/i);
    expect(post).not.toMatch(/<img[^>]*onerror/i);
    expect(post).not.toMatch(/href="\s*(javascript|data):/i);
    expect(post).not.toMatch(/src="\s*javascript:/i);
    expect(post).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(post).toContain('href="https://example.com/page"');
    expect(post).toContain('href="mailto:a@example.com"');
  });
});

describe("blog images", () => {
  it("asks for the image's description and uses it as its alt text on the post, the list and the edit form", async () => {
    const { app } = await build();
    const admin = await setupAdmin(app);
    const created = await createPost(admin, { title: "Alt test", image_alt: 'A "sunset" <over> the bay' }, [
      { field: "image", filename: "sunset.png", content: png, type: "image/png" },
    ]);
    expect(created.statusCode).toBe(303);
    const escaped = 'alt="A &quot;sunset&quot; &lt;over> the bay"';
    expect((await new Client(app).get("/blog/alt-test")).body).toContain(escaped);
    expect((await new Client(app).get("/blog")).body).toContain(escaped);
    const list = await admin.get("/admin/blog");
    const id = Number(/href="\/admin\/blog\/(\d+)\/edit"/.exec(list.body)?.[1]);
    const editPage = await admin.get(`/admin/blog/${id}/edit`);
    expect(editPage.statusCode, String(id)).toBe(200);
    const edit = editPage.body;
    expect(edit).toContain("Image description");
    expect(edit).toContain('value="A &quot;sunset&quot; &lt;over> the bay"');
    // Without an image there is nothing to describe: no alt text is kept.
    const plain = await createPost(admin, { title: "No image", image_alt: "ignored" });
    expect(plain.statusCode).toBe(303);
    expect((await new Client(app).get("/blog/no-image")).body).not.toContain("ignored");
  });

  it("stores a PNG under a random name and serves it with its type and nosniff", async () => {
    const { app } = await build();
    const admin = await setupAdmin(app);
    const res = await createPost(admin, { title: "Pic" }, [
      { field: "image", filename: "photo.jpg", content: png, type: "image/jpeg" },
    ]);
    expect(res.statusCode).toBe(303);
    const page = (await new Client(app).get("/blog/pic")).body;
    const src = /src="(\/blog\/images\/[a-f0-9]{32}\.png)"/.exec(page)?.[1];
    expect(src).toBeDefined();
    const image = await new Client(app).get(src!);
    expect(image.statusCode).toBe(200);
    expect(image.headers["content-type"]).toBe("image/png");
    expect(image.headers["x-content-type-options"]).toBe("nosniff");
    expect(image.rawPayload.equals(png)).toBe(true);
    expect((await new Client(app).get("/blog/images/..%2F..%2Fetc%2Fpasswd")).statusCode).toBe(404);
    expect((await new Client(app).get("/blog/images/0123456789abcdef0123456789abcdef.png")).statusCode).toBe(
      404,
    );
  });

  it("refuses a .png file that holds HTML, whatever it claims to be", async () => {
    const { app } = await build();
    const admin = await setupAdmin(app);
    const res = await createPost(admin, { title: "Evil", body_markdown: "kept" }, [
      {
        field: "image",
        filename: "cat.png",
        content: Buffer.from("<html><script>alert(1)</script></html>"),
        type: "image/png",
      },
    ]);
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain("This file is not a JPEG, PNG or WebP image.");
    expect(res.body).toContain("kept");
    expect((await admin.get("/blog/evil")).statusCode).toBe(404);
  });

  it("refuses a file over 5 MB with a clear message", async () => {
    const { app } = await build();
    const admin = await setupAdmin(app);
    const big = Buffer.concat([png, Buffer.alloc(5 * 1024 * 1024)]);
    const res = await createPost(admin, { title: "Big" }, [
      { field: "image", filename: "big.png", content: big, type: "image/png" },
    ]);
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain("The image is larger than 5 MB. Choose a smaller one.");
  });
});

describe("blog public pages", () => {
  it("need no login, list published posts by page, and answer If-None-Match with 304", async () => {
    const { app } = await build();
    const admin = await setupAdmin(app);
    for (let i = 1; i <= 12; i++) await createPost(admin, { title: `Post ${i}` });
    await createPost(admin, { title: "Hidden draft", published: "" });
    const visitor = new Client(app);
    const first = await visitor.get("/blog");
    expect(first.statusCode).toBe(200);
    expect(first.headers["set-cookie"]).toBeUndefined();
    expect(first.headers["cache-control"]).toBe("public, max-age=60");
    expect(first.body).toContain("1 / 2");
    expect(first.body).not.toContain("Hidden draft");
    // A post's date names its zone once ("3 Dec 2026, 07:15 UTC"), not "UTC UTC".
    expect(first.body).toMatch(/\d{2}:\d{2} UTC/);
    expect(first.body).not.toContain("UTC UTC");
    const second = await visitor.get("/blog?page=2");
    expect((second.body.match(/href="\/blog\/post-\d+"/g) ?? []).length).toBe(2);

    const etag = String(first.headers.etag);
    expect(etag).toMatch(/^W\/"/);
    const again = await app.inject({ method: "GET", url: "/blog", headers: { "if-none-match": etag } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe("");

    const post = await app.inject({ method: "GET", url: "/blog/post-3" });
    expect(post.body).toMatch(/\d{2}:\d{2} UTC/);
    expect(post.body).not.toContain("UTC UTC");
    expect(post.headers["cache-control"]).toBe("public, no-cache");
    const notModified = await app.inject({
      method: "GET",
      url: "/blog/post-3",
      headers: { "if-none-match": String(post.headers.etag) },
    });
    expect(notModified.statusCode).toBe(304);

    // Signed in, the page names the user: private, still with an ETag that matches across renders.
    await admin.get("/blog"); // shows (and clears) the "created" message
    const mine = await admin.get("/blog");
    expect(mine.headers["cache-control"]).toBe("private, no-cache");
    expect((await admin.get("/blog")).headers.etag).toBe(mine.headers.etag);
    // A new post changes the list at once (the cache is invalidated).
    await createPost(admin, { title: "Newest" });
    const fresh = await visitor.get("/blog");
    expect(fresh.body).toContain("Newest");
    expect(fresh.headers.etag).not.toBe(etag);
  });

  it("shows three random published posts on the dashboard", async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    for (let i = 1; i <= 5; i++) await createPost(admin, { title: `Post ${i}` });
    await createPost(admin, { title: "Draft post", published: "" });
    const user = await signIn(app, database, "u@example.com");
    const home = (await user.get("/")).body;
    expect(home).toContain("From the");
    expect((home.match(/href="\/blog\/post-\d"/g) ?? []).length).toBe(3);
    expect(home).not.toContain("Draft post");
    expect(home).not.toContain("UTC UTC");
  });

  it("counts 100 concurrent views exactly", async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    await createPost(admin, { title: "Popular" });
    const responses = await Promise.all(
      Array.from({ length: 100 }, () => app.inject({ method: "GET", url: "/blog/popular" })),
    );
    expect(responses.every((r) => r.statusCode === 200)).toBe(true);
    const row = await database.db
      .selectFrom("posts")
      .select("view_count")
      .where("slug", "=", "popular")
      .executeTakeFirstOrThrow();
    expect(Number(row.view_count)).toBe(100);
  });
});
