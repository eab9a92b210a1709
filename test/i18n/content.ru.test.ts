import { describe, expect, it } from "vitest";
import { englishLeft } from "../helpers/russian.js";
import { build, setupAdmin } from "../helpers/web.js";

describe("content pages in Russian", () => {
  it("messages, senders, webhooks and layouts: lists and flashes in Russian, English unchanged", async () => {
    const { app } = await build();
    const admin = await setupAdmin(app);
    await admin.post("/profile", { name: "Анна", time_zone: "UTC", locale: "ru" }, { from: "/profile" });

    const created = await admin.post(
      "/messages/new",
      { subject: "Новости", body: "Привет", format: "text" },
      { from: "/messages/new" },
    );
    expect(created.statusCode).toBe(303);
    const message = await admin.get(created.headers.location as string);
    expect(message.body).toContain("Письмо создано.");

    const sender = await admin.post(
      "/admin/senders/new",
      { from_name: "Пекарня", from_email: "bakery@example.com", postal_address: "Москва, ул. Пекарная, 1" },
      { from: "/admin/senders/new" },
    );
    expect(sender.statusCode).toBe(303);
    const senders = await admin.get(sender.headers.location as string);
    expect(senders.body).toContain("создан.");
    expect(senders.body).toContain("Отправители");
    expect(englishLeft(senders.body, ["SMTP_FROM", "FROM"])).toEqual([]);

    const webhooks = await admin.get("/webhooks");
    expect(webhooks.body).toContain("Адресов пока нет");
    const layouts = await admin.get("/layouts");
    expect(englishLeft(layouts.body, ["HTML-", "default", "content", "UTC"])).toEqual([]);

    await admin.post("/profile", { name: "Анна", time_zone: "UTC", locale: "en" }, { from: "/profile" });
    expect((await admin.get("/admin/senders")).body).toContain("New sender");
    expect((await admin.get("/webhooks")).body).toContain("No endpoints yet");
  });
});
