/** The demo's content: people, recipients' names, messages, mailings and blog posts. Pure data. */

export const DEMO_ACCOUNTS = [
  { role: "admin", email: "admin@demo.postpilot.example", name: "Ada Admin", time_zone: "UTC" },
  {
    role: "manager",
    email: "manager@demo.postpilot.example",
    name: "Max Manager",
    time_zone: "Europe/London",
  },
  { role: "user", email: "anna@demo.postpilot.example", name: "Anna Fischer", time_zone: "Europe/Berlin" },
  { role: "user", email: "ben@demo.postpilot.example", name: "Ben Carter", time_zone: "America/New_York" },
] as const;

export const FIRST_NAMES = [
  "Olivia",
  "Liam",
  "Emma",
  "Noah",
  "Mia",
  "Lucas",
  "Sofia",
  "Elias",
  "Hannah",
  "Leon",
  "Chloe",
  "Mateo",
  "Zoe",
  "Jonas",
  "Amelia",
  "Felix",
  "Isla",
  "Oskar",
  "Nora",
  "Hugo",
];
export const LAST_NAMES = ["Schmidt", "Garcia", "Novak", "Rossi", "Dubois", "Kowalski", "Jensen", "Silva"];

/** The first is Markdown, personalised, in the shipped layout (`layout: true`), to show what messages can do. */
export const MESSAGES: { subject: string; body: string; format?: "markdown"; layout?: true }[] = [
  {
    subject: "{{ recipient.first_name | default: 'Hello' }}, what's new this spring",
    format: "markdown",
    layout: true,
    body: `# Spring is here, {{ recipient.first_name | default: "friend" }}

Our **new arrivals** are in, and we picked a few for you:

- Linen shirts in six colours
- Garden tools that last
- [Everything new this month](https://example.com/new)

{% if recipient.comment != blank %}_A note we keep for you: {{ recipient.comment }}_{% endif %}

Best wishes,
The team`,
  },
  {
    subject: "Your daily tip",
    body: "Hello,\n\nToday's tip: keep your subject lines short and clear. Readers decide in a second.\n\nSee you tomorrow!",
  },
  {
    subject: "Winter sale: last days",
    body: "Hello,\n\nOur winter sale ends on Sunday. Everything in the shop is 20% off until then.\n\nThank you for being with us.",
  },
];

export const FAILURES = [
  {
    code: 550,
    enhanced: "5.1.1",
    text: "550 5.1.1 Recipient address rejected: User unknown in virtual mailbox table",
  },
  { code: 552, enhanced: "5.2.2", text: "552 5.2.2 Mailbox full" },
  { code: 421, enhanced: "4.4.2", text: "421 4.4.2 Connection timed out (gave up after 6 tries)" },
];

export const POSTS = [
  {
    title: "Welcome to PostPilot",
    colors: [
      [37, 99, 235],
      [16, 185, 129],
    ] as [[number, number, number], [number, number, number]],
    published: true,
    body: `PostPilot keeps your customers informed with **warm-up mailings**: short, regular notes that remind people you exist.

## Getting started

1. Add your recipients.
2. Write a message.
3. Create a mailing: once, daily, weekly or monthly.

Questions? Write to [support](mailto:support@postpilot.example).`,
  },
  {
    title: "Five subject lines that get opened",
    colors: [
      [234, 88, 12],
      [250, 204, 21],
    ] as [[number, number, number], [number, number, number]],
    published: true,
    body: `Subject lines decide whether your message is read. Ours that worked best:

- *"A quick question"*
- *"You asked, we listened"*
- *"Last chance: ends Sunday"*
- *"Something new for you"*
- *"Thank you"*

Read more on [our website](https://postpilot.example/tips).`,
  },
  {
    title: "How often should you write?",
    colors: [
      [124, 58, 237],
      [236, 72, 153],
    ] as [[number, number, number], [number, number, number]],
    published: true,
    body: `Daily mailings suit tips and short news; **weekly** suits most shops; monthly suits newsletters.

> Write when you have something to say, and say it briefly.

A mailing stops by itself at its end date and becomes *Completed*.`,
  },
  {
    title: "Coming soon: reports by month",
    colors: [
      [15, 118, 110],
      [56, 189, 248],
    ] as [[number, number, number], [number, number, number]],
    published: false,
    body: "A draft: reports that compare months side by side. Only admins can see this post until it is published.",
  },
];
