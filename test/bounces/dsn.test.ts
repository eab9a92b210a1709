import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fieldGroups, parseReport } from "../../src/bounces/dsn.js";

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));

describe(parseReport.name, () => {
  it("reads a Postfix DSN for an unknown user: recipient, status, folded diagnostic, original Message-ID", async () => {
    const sut = await parseReport(fixture("postfix-unknown-user.eml"));
    expect(sut).toMatchObject({
      kind: "bounce",
      originalMessageId: "postpilot.12.345@example.org",
      recipients: [
        {
          finalRecipient: "nobody@example.com",
          action: "failed",
          status: "5.1.1",
          diagnostic:
            "550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in virtual mailbox table",
        },
      ],
    });
  });

  it("reads a DSN a real Postfix 3.7 wrote to a VERP address (accepted, then failed by a pipe: EX_NOUSER)", async () => {
    const sut = await parseReport(fixture("postfix-verp-pipe.eml"));
    expect(sut).toMatchObject({
      kind: "bounce",
      originalMessageId: "postpilot.1.2@bounce.test",
      recipients: [
        {
          finalRecipient: "gone@customers.test",
          action: "failed",
          status: "5.1.1",
          diagnostic: "Mailbox gone (PostPilot test)",
        },
      ],
      subject: "Undelivered Mail Returned to Sender",
    });
    // X-Original-To, Delivered-To and To: where the VERP token is read.
    expect(sut.returnedTo).toEqual([
      "bounces+abc-0123@bounce.test",
      "bounces+abc-0123@bounce.test",
      "bounces+abc-0123@bounce.test",
    ]);
  });

  it("reads the same DSN with CRLF line ends", async () => {
    const crlf = fixture("postfix-unknown-user.eml").toString("utf8").replace(/\r?\n/g, "\r\n");
    const sut = await parseReport(crlf);
    expect(sut).toMatchObject({ kind: "bounce", originalMessageId: "postpilot.12.345@example.org" });
  });

  it("reads a soft 4.2.2 mailbox-full DSN with only the original's headers (text/rfc822-headers)", async () => {
    const sut = await parseReport(fixture("postfix-mailbox-full.eml"));
    expect(sut).toMatchObject({
      kind: "bounce",
      originalMessageId: "postpilot.12.346@example.org",
      recipients: [
        {
          finalRecipient: "full@example.net",
          action: "failed",
          status: "4.2.2",
          diagnostic: "452 4.2.2 <full@example.net>: Mailbox full",
        },
      ],
    });
  });

  it("reads every recipient group of a multi-recipient DSN (types in any case, comments, angle brackets)", async () => {
    const sut = await parseReport(fixture("multi-recipient.eml"));
    expect(sut).toMatchObject({
      kind: "bounce",
      originalMessageId: "postpilot.12.347@example.org",
      recipients: [
        {
          finalRecipient: "gone@example.com",
          action: "failed",
          status: "5.1.1",
          diagnostic: "550 5.1.1 <gone@example.com>... User unknown",
        },
        {
          finalRecipient: "Quota@Example.com",
          action: "failed",
          status: "5.2.2",
          diagnostic: "552 5.2.2 Mailbox over quota; try again much later",
        },
        { finalRecipient: "slow@example.com", action: "delayed", status: "4.4.1", diagnostic: null },
      ],
    });
  });

  it("reads an ARF abuse report as Yahoo sends it", async () => {
    const sut = await parseReport(fixture("yahoo-arf-abuse.eml"));
    expect(sut).toMatchObject({
      kind: "complaint",
      feedbackType: "abuse",
      originalRcptTo: "reader@yahoo.com",
      originalMessageId: "postpilot.12.348@example.org",
    });
  });

  it("calls anything else unknown, even when its text looks like report fields", async () => {
    expect(await parseReport(fixture("out-of-office.eml"))).toMatchObject({ kind: "unknown" });
    expect(await parseReport("")).toMatchObject({ kind: "unknown" });
    expect(await parseReport("not a message at all")).toMatchObject({ kind: "unknown" });
  });
});

describe(fieldGroups.name, () => {
  it("splits groups at blank lines, joins folded lines and keeps a repeated field's first value", () => {
    const sut = fieldGroups("Reporting-MTA: dns; a\r\n\r\nAction: failed\r\n\tmore\r\naction: x\r\n\r\n\r\n");
    expect(sut.map((g) => Object.fromEntries(g))).toEqual([
      { "reporting-mta": "dns; a" },
      { action: "failed more" },
    ]);
  });
});
