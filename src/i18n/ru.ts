/** Русский. Keyed texts, the translations of the English messages (validation, flashes) and field labels. */
import type { Language } from "./index.js";

export const ru: Language = {
  code: "ru",
  name: "Русский",
  labels: {
    Email: "Адрес эл. почты",
    Password: "Пароль",
    "New password": "Новый пароль",
    Name: "Имя",
    "Time zone": "Часовой пояс",
    Language: "Язык",
    Search: "Поиск",
    Subject: "Тема",
    Body: "Текст",
    Description: "Описание",
    Comment: "Комментарий",
    Title: "Заголовок",
    Code: "Код",
    // ── area mailings: begin (keys of this area go between these two lines)
    // ── area mailings: end
    // ── area audience: begin (keys of this area go between these two lines)
    // ── area audience: end
    // ── area content: begin (keys of this area go between these two lines)
    // ── area content: end
    // ── area admin: begin (keys of this area go between these two lines)
    Role: "Роль",
    Address: "Адрес",
    Text: "Текст",
    "Image description": "Описание изображения",
    // ── area admin: end
    // ── area outbox: begin (keys of this area go between these two lines)
    // ── area outbox: end
  },
  messages: {
    // Validation (src/shared/fields.ts and the feature schemas).
    "{{label}} is required.": "Поле «{{label}}» обязательно.",
    "{{label}} must be at most {{max}} characters.": "Поле «{{label}}»: не более {{max}} символов.",
    "{{label}} must be at least {{min}} characters.": "Поле «{{label}}»: не менее {{min}} символов.",
    "{{label}} contains a character that is not allowed.": "Поле «{{label}}» содержит недопустимый символ.",
    "{{label}} must be a single line.": "Поле «{{label}}» должно быть одной строкой.",
    "{{label}} contains a control or text-direction character (such as a tab), which is not allowed.":
      "Поле «{{label}}» содержит управляющий символ или символ направления текста (например, табуляцию): так нельзя.",
    "{{label}} must be a time zone such as Europe/Berlin.":
      "Поле «{{label}}» должно быть часовым поясом, например Europe/Moscow.",
    "Enter a valid email address, like name@example.com.":
      "Введите правильный адрес эл. почты, например name@example.com.",
    "Choose one from the list.": "Выберите значение из списка.",
    "The two passwords do not match.": "Пароли не совпадают.",
    "Repeat the new password.": "Повторите новый пароль.",
    "Enter your password to confirm.": "Введите пароль для подтверждения.",
    "Choose a language from the list.": "Выберите язык из списка.",
    "Wrong email or password.": "Неверный адрес или пароль.",
    "The current password is wrong.": "Текущий пароль неверен.",
    "The password is wrong.": "Неверный пароль.",
    "Invalid input": "Неверные данные",
    // The banners on every page (src/web/app.ts).
    "Mail is not leaving this machine: no mail server is set (SMTP_URL), so messages go to the local outbox.":
      "Почта не покидает этот компьютер: почтовый сервер не задан (SMTP_URL), письма попадают в локальный ящик исходящих.",
    "Open the outbox": "Открыть исходящие",
    "Sending is paused: {{reason}}. It resumes by itself at {{time}} UTC.":
      "Отправка приостановлена: {{reason}}. Она возобновится сама в {{time}} UTC.",
    "Sending is paused: {{reason}}.": "Отправка приостановлена: {{reason}}.",
    // The command line (src/cli.ts, src/cli/*.ts).
    "Password (at least 8 characters): ": "Пароль (не менее 8 символов): ",
    "No mailings.": "Рассылок нет.",
    "No lists.": "Списков нет.",
    "The database is up to date.": "База данных в актуальном состоянии.",
    "Admin {{email}} created.": "Администратор {{email}} создан.",
    "Demo data created:": "Демонстрационные данные созданы:",
    "It holds password hashes: keep it private.": "В ней хранятся хэши паролей: не передавайте её никому.",
    "Every counter was exact: nothing changed.": "Все счётчики были точны: ничего не изменено.",
    "Copied. Set DATABASE_URL to this database and restart PostPilot.":
      "Скопировано. Укажите эту базу в DATABASE_URL и перезапустите PostPilot.",
    "Backed up {{from}} to {{to}} ({{pages}} pages).":
      "Копия {{from}} сохранена в {{to}} (страниц: {{pages}}).",
    "Test queued to {{to}}; it is sent by the running service or worker.":
      "Тестовое письмо для {{to}} поставлено в очередь; его отправит работающий сервис или обработчик.",
    "Token {{id}} revoked.": "Токен {{id}} отозван.",
    "Suppressed {{email}}.": "Адрес {{email}} заблокирован.",
    "Removed {{email}} from the suppression list.": "Адрес {{email}} убран из списка блокировок.",
    "{{email}} is blocked.": "{{email}} заблокирован.",
    "{{email}} is unblocked.": "{{email}} разблокирован.",
    "Sender {{id}} added: {{sender}}.": "Отправитель {{id}} добавлен: {{sender}}.",
    "Sender {{id}} deleted: {{sender}}.": "Отправитель {{id}} удалён: {{sender}}.",
    '"{{id}}" is not a mailing id (see `postpilot mailings`).':
      "«{{id}}» — не номер рассылки (см. `postpilot mailings`).",
    // Flash messages.
    "Welcome! Your admin account is ready.": "Добро пожаловать! Учётная запись администратора готова.",
    "You are logged out.": "Вы вышли из системы.",
    "Profile saved.": "Профиль сохранён.",
    "Please log in again.": "Пожалуйста, войдите снова.",
    "Add the key to your authenticator app, then enter a code.":
      "Добавьте ключ в приложение-аутентификатор, затем введите код.",
    "Two-factor sign-in is off.": "Двухфакторный вход выключен.",
    "Your other sessions are logged out.": "Остальные сеансы завершены.",
    "Your address is confirmed, but this account is blocked.":
      "Адрес подтверждён, но эта учётная запись заблокирована.",
    "Your email address is confirmed. Welcome to PostPilot!":
      "Адрес эл. почты подтверждён. Добро пожаловать в PostPilot!",
    "Your password is changed, but this account is blocked.":
      "Пароль изменён, но эта учётная запись заблокирована.",
    "Your password is changed. Every other session of your account was logged out.":
      "Пароль изменён. Все остальные сеансы вашей учётной записи завершены.",
    "Your email address is not confirmed yet. Open the link we emailed you, or get a new one below.":
      "Адрес эл. почты ещё не подтверждён. Откройте ссылку из нашего письма или получите новую ниже.",
    "Your email address is not confirmed yet.": "Адрес эл. почты ещё не подтверждён.",
    "Token revoked.": "Токен отозван.",
    "Password changed. Your other sessions were logged out.": "Пароль изменён. Остальные сеансы завершены.",
    "Your account and all its data were deleted.": "Ваша учётная запись и все её данные удалены.",
    "Welcome back.": "С возвращением.",
    "Welcome back, {{name}}.": "С возвращением, {{name}}.",
    // ── area mailings: begin (keys of this area go between these two lines)
    // ── area mailings: end
    // ── area audience: begin (keys of this area go between these two lines)
    // ── area audience: end
    // ── area content: begin (keys of this area go between these two lines)
    // ── area content: end
    // ── area admin: begin (keys of this area go between these two lines)
    // The command line's output (src/cli/*.ts).
    "The message cannot be read: {{error}}": "Письмо не удаётся прочитать: {{error}}",
    "DATABASE_URL is set: back up PostgreSQL with pg_dump instead.":
      "Задан DATABASE_URL: резервную копию PostgreSQL делайте через pg_dump.",
    "The URL must start with postgres:// or postgresql://.":
      "URL должен начинаться с postgres:// или postgresql://.",
    "Recounted: {{count}} counter changed.": "Пересчитано: изменено счётчиков: {{count}}.",
    "Recounted: {{count}} counters changed.": "Пересчитано: изменено счётчиков: {{count}}.",
    "Pruned {{runs}} run finished more than {{days}} days ago: {{deliveries}} deliveries and {{attempts}} tries removed.":
      "Очищено запусков, завершённых более {{days}} дн. назад: {{runs}}; удалено отправок: {{deliveries}}, попыток: {{attempts}}.",
    "Pruned {{runs}} runs finished more than {{days}} days ago: {{deliveries}} deliveries and {{attempts}} tries removed.":
      "Очищено запусков, завершённых более {{days}} дн. назад: {{runs}}; удалено отправок: {{deliveries}}, попыток: {{attempts}}.",
    "Log in with (passwords are random; keep them or change them on /profile):":
      "Для входа (пароли случайные; сохраните их или смените на /profile):",
    "Cannot read {{file}}: {{error}}": "Не удаётся прочитать {{file}}: {{error}}",
    "Wrote {{file}}: {{users}} users, {{recipients}} recipients, {{messages}} messages, {{mailings}} mailings, {{posts}} posts.":
      "Записано в {{file}}: пользователей: {{users}}, получателей: {{recipients}}, писем: {{messages}}, рассылок: {{mailings}}, записей блога: {{posts}}.",
    "Loaded {{users}} users, {{recipients}} recipients, {{messages}} messages, {{mailings}} mailings, {{posts}} posts.":
      "Загружено пользователей: {{users}}, получателей: {{recipients}}, писем: {{messages}}, рассылок: {{mailings}}, записей блога: {{posts}}.",
    "Database: {{database}}": "База данных: {{database}}",
    "Run {{run}} of mailing {{mailing}}: {{count}} recipient.":
      "Запуск {{run}} рассылки {{mailing}}: получателей: {{count}}.",
    "Run {{run}} of mailing {{mailing}}: {{count}} recipients.":
      "Запуск {{run}} рассылки {{mailing}}: получателей: {{count}}.",
    '"{{id}}" is not a sender id (see `postpilot senders list`).':
      "«{{id}}» — не номер отправителя (см. `postpilot senders list`).",
    '"{{id}}" is not a token id (see `postpilot tokens list`).':
      "«{{id}}» — не номер токена (см. `postpilot tokens list`).",
    'Token {{id}} "{{name}}" for {{email}}.': "Токен {{id}} «{{name}}» для {{email}}.",
    "Copy it now: it is not shown again.": "Скопируйте его сейчас: больше он не покажется.",
    "No tokens.": "Токенов нет.",
    "Endpoint {{id}} added. Signing secret (shown once): {{secret}}":
      "Адрес {{id}} добавлен. Секрет подписи (показывается один раз): {{secret}}",
    "Endpoint {{id}} removed.": "Адрес {{id}} удалён.",
    "… and {{count}} more.": "… и ещё {{count}}.",
    "Exported {{count}} recipient to {{file}}.": "Выгружено получателей: {{count}}, в {{file}}.",
    "Exported {{count}} recipients to {{file}}.": "Выгружено получателей: {{count}}, в {{file}}.",
    "Stopped: {{error}}": "Остановлено: {{error}}",
    // The command line's --help (src/cli/help-language.ts).
    "display help for command": "показать справку по команде",
    "Usage:": "Использование:",
    "Options:": "Параметры:",
    "Commands:": "Команды:",
    "Arguments:": "Аргументы:",
    "Global Options:": "Общие параметры:",
    "PostPilot: self-hosted email mailings": "PostPilot: рассылки эл. почты на своём сервере",
    "commands that read a database: make a new empty one when DATA_DIR holds none":
      "для команд, читающих базу данных: создать новую пустую, если в DATA_DIR её нет",
    "run the web app (on PORT, default 3000) with the scheduler and a worker; migrates first":
      "запустить веб-приложение (на PORT, по умолчанию 3000) с планировщиком и обработчиком; сначала применяет миграции",
    "do not send in this process (run `postpilot worker` separately)":
      "не отправлять в этом процессе (запустите `postpilot worker` отдельно)",
    "do not start due mailings in this process (run `postpilot scheduler` separately)":
      "не запускать подошедшие рассылки в этом процессе (запустите `postpilot scheduler` отдельно)",
    "run only the scheduler: creates the runs of due mailings and completes ended ones":
      "запустить только планировщик: создаёт запуски подошедших рассылок и завершает окончившиеся",
    "run only a worker: claims due deliveries, sends them and records the replies":
      "запустить только обработчик: берёт подошедшие отправки, отправляет их и записывает ответы",
    "send a mailing now; shows progress, prints a summary, exits 1 if any delivery failed":
      "отправить рассылку сейчас; показывает ход, печатает итог, завершается с кодом 1, если хоть одна отправка не удалась",
    "only start the run; let the workers of other processes send it":
      "только начать запуск; отправят обработчики других процессов",
    "the mailing's id (see `postpilot mailings`)": "номер рассылки (см. `postpilot mailings`)",
    "list mailings with their status and next planned run":
      "список рассылок с их статусом и следующим запланированным запуском",
    "only this user's mailings": "только рассылки этого пользователя",
    "apply database migrations and exit": "применить миграции базы данных и выйти",
    "create an admin account (prompts for the password, or reads it from standard input)":
      "создать учётную запись администратора (спрашивает пароль или читает его со стандартного ввода)",
    "the admin's email address": "адрес эл. почты администратора",
    "the password (prefer the prompt or standard input: arguments show in ps)":
      "пароль (лучше через запрос или стандартный ввод: аргументы видны в ps)",
    "the admin's name": "имя администратора",
    "personal API tokens (Authorization: Bearer <token>)":
      "личные токены API (Authorization: Bearer <токен>)",
    "create a token for a user and print it once": "создать токен для пользователя и напечатать его один раз",
    "the user the token acts as": "пользователь, от имени которого действует токен",
    "what the token is for, e.g. the shop's import job": "для чего токен, например импорт из магазина",
    "list a user's tokens (never the tokens themselves)": "список токенов пользователя (без самих токенов)",
    "whose tokens": "чьи токены",
    "revoke a token: requests with it are refused from now on":
      "отозвать токен: запросы с ним с этого момента отклоняются",
    "the token's id (see `postpilot tokens list`)": "номер токена (см. `postpilot tokens list`)",
    "list users; block or unblock one": "список пользователей; блокировка и разблокировка",
    "list users with their role and state": "список пользователей с их ролью и состоянием",
    "only users whose email or name contains this":
      "только пользователи, в адресе или имени которых есть этот текст",
    "block a user: logged out everywhere, no login, API tokens refused, mailings stop sending":
      "заблокировать пользователя: все сеансы завершаются, вход запрещён, токены API отклоняются, рассылки не отправляются",
    "the user's email": "адрес эл. почты пользователя",
    "unblock a user": "разблокировать пользователя",
    "list, add or remove a user's webhook endpoints":
      "список, добавление и удаление адресов вебхуков пользователя",
    "list a user's endpoints (an admin's: everyone's)":
      "список адресов вебхуков пользователя (у администратора — всех)",
    "whose endpoints": "чьи адреса",
    "register an endpoint; prints its signing secret (shown this once)":
      "зарегистрировать адрес; печатает его секрет подписи (показывается один раз)",
    "the endpoint's owner": "владелец адреса",
    "http:// or https:// URL": "URL с http:// или https://",
    "comma-separated event types, e.g. run.finished,delivery.failed":
      "типы событий через запятую, например run.finished,delivery.failed",
    "admins: every user's events": "для администраторов: события всех пользователей",
    "what it is for": "для чего он",
    "delete an endpoint and its queued events": "удалить адрес и его события в очереди",
    "the endpoint's owner (or an admin)": "владелец адреса (или администратор)",
    "the endpoint's id": "номер адреса",
    "write a consistent copy of the SQLite database to a new file, while PostPilot runs":
      "записать согласованную копию базы SQLite в новый файл, пока PostPilot работает",
    "where to write the copy (must not exist)": "куда записать копию (файла ещё не должно быть)",
    "copy every table of the SQLite database into an empty PostgreSQL database, keeping ids":
      "скопировать все таблицы базы SQLite в пустую базу PostgreSQL, сохраняя номера",
    "the PostgreSQL database (postgres://user:pass@host:5432/db); created tables, no rows":
      "база PostgreSQL (postgres://user:pass@host:5432/db); таблицы созданы, строк нет",
    "rebuild the home page counters from the data, in one transaction, and print what changed":
      "пересчитать счётчики главной страницы по данным в одной транзакции и напечатать, что изменилось",
    "remove, once, the deliveries and tries of runs finished more than DELIVERY_RETENTION_DAYS (or --days) ago":
      "однократно удалить отправки и попытки запусков, завершённых более DELIVERY_RETENTION_DAYS (или --days) дней назад",
    "retention in days (default: DELIVERY_RETENTION_DAYS)":
      "срок хранения в днях (по умолчанию DELIVERY_RETENTION_DAYS)",
    "fill an EMPTY database with demo accounts, recipients, mailings, runs and blog posts":
      "заполнить ПУСТУЮ базу демонстрационными учётными записями, получателями, рассылками, запусками и записями блога",
    "write users, recipients, messages, mailings and blog posts to a JSON file":
      "записать пользователей, получателей, письма, рассылки и записи блога в файл JSON",
    "where to write (overwritten)": "куда записать (файл перезаписывается)",
    "load a dump-fixtures file in one transaction; on any conflict nothing is loaded":
      "загрузить файл dump-fixtures в одной транзакции; при любом конфликте ничего не загружается",
    "a file written by dump-fixtures": "файл, записанный dump-fixtures",
    "import a user's recipients from a CSV file (header row naming email, full name, comment); exits 1 if any row was invalid":
      "импортировать получателей пользователя из файла CSV (строка заголовков: email, имя, комментарий); завершается с кодом 1, если хоть одна строка неверна",
    "the user whose recipients these are": "пользователь, чьи это получатели",
    "update recipients that already exist (default: skip them)":
      "обновлять уже существующих получателей (по умолчанию пропускать)",
    "put every imported row (new or existing) in this list of the user's":
      "добавить каждую импортированную строку (новую или существующую) в этот список пользователя",
    "the CSV file (UTF-8, comma or semicolon separated), or - for standard input":
      "файл CSV (UTF-8, через запятую или точку с запятой) или - для стандартного ввода",
    "a user's lists with their member counts and signup forms":
      "списки пользователя с числом участников и формами подписки",
    "the user whose lists to show": "пользователь, чьи списки показать",
    "export a user's recipients as CSV (email, full_name, comment)":
      "выгрузить получателей пользователя в CSV (email, full_name, comment)",
    "the user whose recipients to export": "пользователь, чьих получателей выгрузить",
    "start with a UTF-8 byte order mark (helps some spreadsheets)":
      "начать с метки порядка байтов UTF-8 (помогает некоторым табличным редакторам)",
    "where to write the CSV, or - for standard output": "куда записать CSV или - для стандартного вывода",
    "a user's suppressed addresses (never mailed)":
      "заблокированные адреса пользователя (на них никогда не отправляется)",
    "list a user's suppressed addresses, newest first":
      "список заблокированных адресов пользователя, сначала новые",
    "the user whose list this is": "пользователь, чей это список",
    "only addresses containing this text": "только адреса с этим текстом",
    "suppress addresses for a user (their mailings never send to them)":
      "заблокировать адреса для пользователя (его рассылки никогда на них не отправляются)",
    "one of unsubscribed, hard_bounce, soft_bounce, complaint, manual":
      "одно из: unsubscribed, hard_bounce, soft_bounce, complaint, manual",
    "a note": "примечание",
    "the addresses": "адреса",
    "remove an address from a user's suppression list (written to the audit log)":
      "убрать адрес из списка блокировок пользователя (записывается в журнал действий)",
    "the address": "адрес",
    "queue a test of a message to its owner or up to 5 addresses ([Test] in the subject)":
      "поставить в очередь тестовое письмо владельцу или на адреса, не более 5 ([Test] в теме)",
    "the user whose message it is (tests go to this address by default)":
      "пользователь, чьё это письмо (по умолчанию тест уходит на этот адрес)",
    "up to 5 addresses, separated by commas": "до 5 адресов через запятую",
    "render with this recipient's values (default: sample values)":
      "подставить значения этого получателя (по умолчанию примерные значения)",
    "the message": "письмо",
    "the sender identities (From) mailings can send as":
      "отправители (From), от имени которых могут идти рассылки",
    "list the sender identities": "список отправителей",
    "add a sender identity": "добавить отправителя",
    'the From name, e.g. "Ada\'s Bakery"': "имя в From, например «Пекарня Ады»",
    "the From address": "адрес в From",
    "where replies go (default: the From address)": "куда приходят ответы (по умолчанию адрес From)",
    'the postal address; "\\n" starts a new line': "почтовый адрес; «\\n» начинает новую строку",
    "delete a sender identity (refused while a mailing sends as it)":
      "удалить отправителя (нельзя, пока от его имени идёт рассылка)",
    "the sender's id (see `postpilot senders list`)": "номер отправителя (см. `postpilot senders list`)",
    "pause, resume or cancel a run that is sending": "приостановить, возобновить или отменить идущий запуск",
    "stop starting new deliveries (those being sent finish)":
      "перестать начинать новые отправки (начатые завершатся)",
    "the run (its number on the run page)": "запуск (его номер на странице запуска)",
    "continue a paused run where it stopped": "продолжить приостановленный запуск с места остановки",
    "never send what is not sent yet (recorded as cancelled)":
      "не отправлять то, что ещё не отправлено (записывается как отменённое)",
    "the bounce mailbox (BOUNCE_IMAP_URL)": "ящик для возвратов (BOUNCE_IMAP_URL)",
    "read the bounce mailbox once, record what it holds, and print what was done":
      "один раз прочитать ящик возвратов, записать найденное и напечатать, что сделано",
    "poll once and exit (the engine polls every BOUNCE_IMAP_INTERVAL_MS)":
      "проверить один раз и выйти (сервис проверяет каждые BOUNCE_IMAP_INTERVAL_MS мс)",
    "read one message on standard input (a bounce (DSN), a complaint (ARF) or mail to an unsubscribe address) and record it":
      "прочитать одно письмо со стандартного ввода (возврат (DSN), жалобу (ARF) или письмо на адрес отписки) и записать его",
    "the address it was delivered to (in a Postfix pipe: the recipient macro), where a VERP or unsubscribe token is read":
      "адрес, на который оно доставлено (в канале Postfix — макрос recipient), из него читается токен VERP или отписки",
    "make a DKIM key (2048-bit RSA) in DATA_DIR/dkim/ and print the DNS record to publish":
      "создать ключ DKIM (RSA, 2048 бит) в DATA_DIR/dkim/ и напечатать запись DNS для публикации",
    "the domain that signs (the From address's domain), e.g. example.com":
      "домен, который подписывает (домен адреса From), например example.com",
    "a name for this key, e.g. mail2026 (DNS: <selector>._domainkey)":
      "имя этого ключа, например mail2026 (DNS: <selector>._domainkey)",
    "replace the key file if it exists": "заменить файл ключа, если он есть",
    "User {{email}} created.": "Пользователь {{email}} создан.",
    "{{email}} saved.": "{{email}}: изменения сохранены.",
    "{{email}} is blocked and logged out everywhere.": "{{email}} заблокирован, все его сеансы завершены.",
    "{{email}} and all their data were deleted.": "{{email}} и все его данные удалены.",
    "“{{name}}” is disabled: it will not send.": "«{{name}}» отключена: она не будет отправляться.",
    "“{{name}}” is enabled again.": "«{{name}}» снова включена.",
    "Login throttles of {{account}} cleared.": "Ограничения входа для {{account}} сброшены.",
    "There was nothing to clear.": "Сбрасывать было нечего.",
    "User not found": "Пользователь не найден",
    "Mailing not found": "Рассылка не найдена",
    "Post not found": "Запись не найдена",
    "Token not found": "Токен не найден",
    "No user with the email {{email}}.": "Пользователя с адресом {{email}} нет.",
    "Only managers and admins may read other users' data.":
      "Чужие данные могут просматривать только менеджеры и администраторы.",
    "You cannot block yourself.": "Нельзя заблокировать самого себя.",
    "Managers can block only users; ask an admin.":
      "Менеджеры могут блокировать только пользователей; обратитесь к администратору.",
    "This is the last admin who can log in; they cannot be blocked.":
      "Это последний администратор, который может войти; его нельзя заблокировать.",
    "Delete your own account from your profile page.": "Свою учётную запись удаляйте на странице профиля.",
    "This is the last admin; they cannot be deleted.": "Это последний администратор; его нельзя удалить.",
    "There is no login throttle for {{account}}.": "Для {{account}} нет ограничений входа.",
    "Choose a role.": "Выберите роль.",
    "This is the last admin: make someone else an admin first.":
      "Это последний администратор: сначала назначьте администратором кого-то другого.",
    "Use lowercase letters, digits and single dashes, like spring-news.":
      "Используйте строчные латинские буквы, цифры и одиночные дефисы, например spring-news.",
    "Another post already uses this address. Choose another one.":
      "Этот адрес уже занят другой записью. Выберите другой.",
    "The image is larger than {{mb}} MB. Choose a smaller one.":
      "Изображение больше {{mb}} МБ. Выберите поменьше.",
    "This file is not a JPEG, PNG or WebP image. Choose a picture in one of those formats.":
      "Этот файл — не изображение JPEG, PNG или WebP. Выберите картинку в одном из этих форматов.",
    "Post “{{title}}” created.": "Запись «{{title}}» создана.",
    "Post “{{title}}” saved.": "Запись «{{title}}» сохранена.",
    "Post “{{title}}” deleted.": "Запись «{{title}}» удалена.",
    "No SMTP relay is configured (SMTP_URL): mail goes to the local outbox.":
      "Сервер SMTP не настроен (SMTP_URL): почта попадает в локальный ящик исходящих.",
    // ── area admin: end
    // ── area outbox: begin (keys of this area go between these two lines)
    // ── area outbox: end
  },
  texts: {
    layout: {
      skip: "Перейти к содержимому",
      toggleNav: "Показать или скрыть меню",
      mainNav: "Главное меню",
      logout: "Выйти",
      login: "Войти",
      close: "Закрыть",
      footer: "PostPilot — рассылки на своём сервере",
      title: "{{title}} · PostPilot",
    },
    nav: {
      dashboard: "Главная",
      recipients: "Получатели",
      lists: "Списки",
      messages: "Письма",
      layouts: "Макеты",
      mailings: "Рассылки",
      reports: "Отчёты",
      suppressions: "Блокировки",
      blog: "Блог",
      users: "Пользователи",
      webhooks: "Вебхуки",
    },
    common: {
      previous: "Назад",
      next: "Вперёд",
      previousPage: "Предыдущая страница",
      nextPage: "Следующая страница",
      pages: "Страницы",
      inAll: "всего {{total}}",
      search: "Найти",
      clear: "Сбросить",
      cancel: "Отмена",
      edit: "Изменить: {{label}}",
      delete: "Удалить: {{label}}",
      actions: "Действия",
      tryAnother: "Попробуйте другой запрос или <1>покажите все</1>.",
      tryAnotherBefore: "Попробуйте другой запрос или ",
      showAll: "покажите все",
      never: "Никогда",
      recipients_one: "{{count}} получатель",
      recipients_few: "{{count}} получателя",
      recipients_many: "{{count}} получателей",
      recipients_other: "{{count}} получателя",
    },
    errors: {
      home: "На главную",
      notFound: "Страница не найдена",
      notFoundText: "Здесь ничего нет, или это принадлежит другому пользователю.",
      forbidden: "Нет доступа",
      conflict: "Это сделать нельзя",
      invalid: "Неверные данные",
      tooMany: "Слишком много попыток",
      tooManyText: "Подождите немного и попробуйте снова.",
      tooManyMinute: "Подождите минуту и попробуйте снова.",
      expired: "Форма устарела",
      expiredText: "Вернитесь, обновите страницу и попробуйте снова.",
      badRequest: "Неверный запрос",
      badRequestText: "Запрос не удалось разобрать.",
      failed: "Что-то пошло не так",
      failedText: "Ошибка записана в журнал. Попробуйте ещё раз.",
      wait: "Слишком много попыток. Подождите {{wait}} и попробуйте снова.",
      seconds_one: "{{count}} секунду",
      seconds_few: "{{count}} секунды",
      seconds_many: "{{count}} секунд",
      seconds_other: "{{count}} секунды",
      minutes_one: "{{count}} минуту",
      minutes_few: "{{count}} минуты",
      minutes_many: "{{count}} минут",
      minutes_other: "{{count}} минуты",
    },
    accounts: {
      yourName: "Ваше имя",
      email: "Адрес эл. почты",
      password: "Пароль",
      atLeast: "Не менее {{count}} символов.",
      setup: {
        title: "Настройка PostPilot",
        intro:
          "Создайте первую учётную запись администратора. После этого другие смогут зарегистрироваться сами.",
        submit: "Создать администратора",
      },
      login: {
        title: "Вход",
        resend: "Отправить ссылку для подтверждения ещё раз",
        submit: "Войти",
        forgot: "Забыли пароль?",
        newHere: "Впервые здесь?",
        create: "Зарегистрироваться",
      },
      register: {
        title: "Регистрация",
        submit: "Зарегистрироваться",
        already: "Уже есть учётная запись?",
        login: "Войти",
      },
      checkEmail: {
        title: "Проверьте почту",
        text: "Мы отправили письмо на указанный адрес. Откройте ссылку из него в течение 24 часов, чтобы подтвердить адрес и войти.",
        nothing: "Письмо не пришло? Загляните в папку «Спам» или ",
        newLink: "получите новую ссылку",
      },
      profile: {
        title: "Ваш профиль",
        details: "Сведения",
        signedInAs: "Вы вошли как ",
        security: "Двухфакторный вход и сеансы",
        name: "Имя",
        timeZone: "Часовой пояс",
        timeZoneHelp: "Время рассылок вводится и показывается в этом поясе, если у рассылки не выбран свой.",
        language: "Язык",
        languageAuto: "Как просит браузер (Accept-Language)",
        languageHelp: "Язык страниц и писем, которые PostPilot отправляет вам.",
        save: "Сохранить профиль",
        changePassword: "Смена пароля",
        changePasswordSubmit: "Сменить пароль",
        currentPassword: "Текущий пароль",
        newPassword: "Новый пароль",
        newPasswordHelp: "Не менее {{count}} символов. Остальные ваши сеансы будут завершены.",
        repeatPassword: "Повторите новый пароль",
        deleteTitle: "Удаление учётной записи",
        deleteText: "Удаляет вашу учётную запись со всеми получателями, письмами и рассылками.",
        deleteLink: "Удалить мою учётную запись…",
      },
      role: { admin: "администратор", manager: "менеджер", user: "пользователь" },
      delete: {
        title: "Удаление учётной записи",
        before: "Ваша учётная запись будет удалена навсегда вместе со ",
        strong: "всеми получателями, письмами, рассылками и историей отправки",
        after: ". Запланированные отправки остановятся. Отменить это нельзя.",
        password: "Ваш пароль",
        submit: "Удалить мою учётную запись",
      },
    },
    links: {
      backToLogin: "Вернуться ко входу",
      forgot: {
        title: "Забыли пароль?",
        intro: "Введите адрес эл. почты вашей учётной записи. Мы пришлём ссылку для выбора нового пароля.",
        submit: "Прислать ссылку для сброса",
      },
      resend: {
        title: "Получить новую ссылку для подтверждения",
        intro: "Введите адрес, с которым вы регистрировались. Мы пришлём новую ссылку для его подтверждения.",
        submit: "Отправить ссылку для подтверждения",
      },
      sent: {
        reset:
          "Если для этого адреса есть учётная запись, мы отправили на него ссылку для выбора нового пароля. Ссылка действует один раз в течение 1 часа.",
        confirm:
          "Если для этого адреса есть учётная запись, ожидающая подтверждения, мы отправили на него новую ссылку. Ссылка действует один раз в течение 24 часов.",
        nothing: "Через несколько минут ничего не пришло? Загляните в папку «Спам» или ",
        back: "вернитесь ко входу",
      },
      reset: {
        title: "Новый пароль",
        help: "Не менее {{count}} символов. Все сеансы вашей учётной записи будут завершены.",
        submit: "Сохранить новый пароль",
      },
      problem: {
        newReset: "Получить новую ссылку для сброса",
        expired: "Срок действия ссылки истёк.",
        used: "Эта ссылка уже использована.",
        invalid: "Эта ссылка недействительна.",
        expired_confirm: "Ссылки для подтверждения действуют 24 часа.",
        expired_reset: "Ссылки для сброса пароля действуют 1 час.",
        used_confirm:
          "Каждая ссылка действует один раз, а новая заменяет прежние. Если вы уже подтвердили адрес, просто войдите.",
        used_reset: "Каждая ссылка действует один раз, а новая заменяет прежние.",
        invalid_confirm:
          "Проверьте, что открыли ссылку из письма целиком, или возьмите самое новое письмо, если запрашивали несколько.",
        invalid_reset:
          "Проверьте, что открыли ссылку из письма целиком, или возьмите самое новое письмо, если запрашивали несколько.",
      },
    },
    unsubscribe: {
      invalid: {
        title: "Ссылка недействительна",
        heading: "Эта ссылка для отписки недействительна",
        text: "Ничего не изменено. Откройте ссылку из письма точно в том виде, в каком она пришла.",
      },
      used: {
        title: "Ссылка уже использована",
        heading: "Эта ссылка уже использована",
        text: "Ничего не изменено: по ней этот адрес уже отписан от рассылки «{{mailing}}».",
      },
      done: {
        title: "Вы отписались",
        heading: "Вы отписались",
        text: "Вы больше не будете получать «{{mailing}}» и другие рассылки этого отправителя.",
      },
      ready: {
        title: "Отписка",
        heading: "Отписаться?",
        text: "Больше не получать «{{mailing}}» и другие рассылки этого отправителя.",
        submit: "Отписаться",
      },
    },
    signup: {
      title: "Подписка на «{{list}}»",
      honeypot: "Оставьте это поле пустым",
      submit: "Подписаться",
      note: "Мы пришлём письмо для подтверждения. Пока вы не подтвердите, подписка не оформлена.",
      check: {
        title: "Проверьте почту",
        text: "Если этот адрес можно подписать, к вам уже идёт письмо со ссылкой для подтверждения. Откройте его, чтобы подтвердить подписку.",
      },
      confirm: { title: "Подтвердите подписку на «{{list}}»", submit: "Подтвердить подписку" },
      done: { title: "Вы подписаны", text: "Спасибо: подписка на «{{list}}» подтверждена." },
      broken: "Эта ссылка не работает",
    },
    twoFactor: {
      title: "Безопасность",
      mustEnable:
        "На этом сервере администраторы обязаны входить с двухфакторной проверкой: включите её, чтобы продолжить.",
      code: {
        title: "Двухфакторный вход",
        heading: "Введите код",
        text: "Откройте приложение-аутентификатор и введите 6-значный код для PostPilot или один из резервных кодов.",
        again: "Начать заново",
      },
      codeLabel: "Код",
      isOn: "Двухфакторный вход включён.",
      keepCodes:
        "Сохраните эти резервные коды в надёжном месте: каждый позволяет войти один раз, если вы потеряете телефон. Они показаны только сейчас.",
      on: "Включён",
      since: "с {{when}}.",
      codesLeft_one: "Остался {{count}} резервный код.",
      codesLeft_few: "Осталось {{count}} резервных кода.",
      codesLeft_many: "Осталось {{count}} резервных кодов.",
      codesLeft_other: "Осталось {{count}} резервного кода.",
      passwordToOff: "Ваш пароль, чтобы выключить",
      turnOff: "Выключить двухфакторный вход",
      addKey: "В приложении-аутентификаторе добавьте учётную запись с этим ключом:",
      orOpenBefore: "или откройте ",
      thisLink: "эту ссылку",
      orOpenAfter: " на телефоне.",
      enterCode: "Введите 6-значный код, который оно покажет.",
      turnOn: "Включить",
      explain:
        "С двухфакторным входом при входе спрашивается ещё и код из приложения-аутентификатора на телефоне, так что украденного пароля недостаточно.",
      setUp: "Настроить двухфакторный вход",
      sessions: "Сеансы",
      unknownBrowser: "Неизвестный браузер",
      thisSession: "Этот сеанс",
      unknownAddress: "неизвестный адрес",
      lastUsed: "последний раз {{when}}",
      logoutOthers: "Завершить остальные сеансы",
    },
    tokens: {
      title: "Токены API",
      introBefore: "Токен позволяет другой системе работать с ",
      introMiddle: " от вашего имени: передавайте его как ",
      introAfter: ". Отзывайте токены, которыми больше не пользуетесь.",
      created: "Ваш новый токен. Скопируйте его сейчас: больше он показан не будет.",
      name: "Название",
      createdAt: "Создан",
      lastUsed: "Последнее использование",
      revoke: "Отозвать",
      newName: "Название нового токена",
      newNameHelp: "Для чего он, например «Подписки из магазина».",
      create: "Создать токен",
    },
    mail: {
      hello: "Здравствуйте!",
      confirm: {
        subject: "Подтвердите адрес эл. почты для PostPilot",
        body: "Кто-то (надеемся, вы) создал учётную запись PostPilot с этим адресом.\nЧтобы подтвердить адрес и войти, откройте ссылку в течение 24 часов:",
        after:
          "Ссылка действует один раз. Если вы не создавали учётную запись, просто не обращайте внимания на это письмо:\nона останется неподтверждённой, и войти в неё никто не сможет.",
      },
      reset: {
        subject: "Сброс пароля PostPilot",
        body: "Кто-то (надеемся, вы) попросил сбросить пароль учётной записи PostPilot с этим адресом.\nЧтобы задать новый пароль, откройте ссылку в течение 1 часа:",
        after:
          "Ссылка действует один раз; новый пароль завершит все сеансы учётной записи.\nЕсли вы этого не просили, не обращайте внимания на письмо: пароль останется прежним.",
      },
      already: {
        subject: "Кто-то пытался зарегистрироваться в PostPilot с вашим адресом",
        body: "Кто-то (возможно, вы) пытался создать новую учётную запись PostPilot с этим адресом,\nно учётная запись с ним уже есть. Новая не создана, ничего не изменено.",
        login: "Чтобы войти:",
        forgot: "Если вы забыли пароль, сбросьте его здесь:",
        after: "Если это были не вы, просто не обращайте внимания на это письмо.",
      },
      failed: {
        subject: "Неудачные попытки входа в вашу учётную запись PostPilot",
        body_one:
          "За последний час кто-то {{count}} раз пытался войти в вашу учётную запись PostPilot с неверным паролем.",
        body_few:
          "За последний час кто-то {{count}} раза пытался войти в вашу учётную запись PostPilot с неверным паролем.",
        body_many:
          "За последний час кто-то {{count}} раз пытался войти в вашу учётную запись PostPilot с неверным паролем.",
        body_other:
          "За последний час кто-то {{count}} раза пытался войти в вашу учётную запись PostPilot с неверным паролем.",
        after:
          "Следующие попытки замедлены; вы, как обычно, можете войти со своим паролем.\n\nЕсли это были вы, ничего делать не нужно. Если нет, пароль устоял: подумайте о более длинном\nи включите двухфакторный вход на странице профиля.",
      },
    },
    cli: {
      usage: "Использование: postpilot <команда> [параметры]",
      unknown: "Неизвестная команда: {{command}}",
      error: "Ошибка: {{message}}",
      done: "Готово.",
    },
    // ── area mailings: begin (keys of this area go between these two lines)
    // ── area mailings: end
    // ── area audience: begin (keys of this area go between these two lines)
    // ── area audience: end
    // ── area content: begin (keys of this area go between these two lines)
    // ── area content: end
    // ── area admin: begin (keys of this area go between these two lines)
    cliHelp: { default: "по умолчанию", options: "параметры", command: "команда" },
    signupMail: {
      subject: "Подтвердите подписку на {{list}}",
      body: "кто-то (надеемся, что вы) попросил подписать этот адрес на «{{list}}».",
      open: "Чтобы подтвердить, откройте эту ссылку:",
      after: "Если это были не вы, просто не обращайте внимания на это письмо: подписки не будет.",
    },
    zonePicker: {
      placeholder: "Поиск: город или регион (Киев, Калькутта, Нью-Йорк)",
      search: "Поиск: {{label}}",
    },
    admin: {
      state: { active: "Активна", blocked: "Заблокирована", unconfirmed: "Не подтверждена" },
      users: {
        senders: "Отправители",
        allReports: "Отчёты всех пользователей",
        new: "Новый пользователь",
        search: "Поиск по адресу или имени",
        passwordHelp: "Не менее {{count}} символов. Учётная запись подтверждается сразу.",
        create: "Создать пользователя",
      },
      user: {
        email: "Адрес эл. почты",
        name: "Имя",
        role: "Роль",
        state: "Состояние",
        joined: "Зарегистрирован",
        added: "Добавлен",
        status: "Статус",
        block: "Заблокировать",
        unblock: "Разблокировать",
        delete: "Удалить",
        edit: "Изменить",
        save: "Сохранить",
        roleHelp: "При смене роли все сеансы пользователя завершаются.",
        blockedSince:
          "Заблокирован с {{when}}: не может войти, токены API отклоняются, его рассылки не отправляются.",
        noMailings: "Рассылок нет.",
        noRecipients: "Получателей нет.",
      },
      mailing: { enable: "Включить", disable: "Отключить" },
      delete: {
        title: "Удаление {{email}}",
        heading: "Удалить {{email}}?",
        submit: "Удалить пользователя",
        text: "Учётная запись удаляется вместе со всеми получателями, письмами, рассылками и историей отправок. Это нельзя отменить.",
      },
      audit: {
        title: "Журнал действий",
        action: "Действие",
        allActions: "Все действия",
        whoOrWhat: "Кто или что",
        placeholder: "Кто или что (адрес, название рассылки)",
        filter: "Отобрать",
        empty: "Ничего не записано",
        noMatch: "Под условия отбора ничего не подходит.",
        emptyText:
          "Здесь появляются действия менеджеров и администраторов с чужими учётными записями и данными.",
        when: "Когда",
        who: "Кто",
        target: "Над чем",
        details: "Подробности",
        actions: {
          block: "Заблокирован пользователь",
          unblock: "Разблокирован пользователь",
          disable_mailing: "Отключена рассылка",
          enable_mailing: "Включена рассылка",
          role_change: "Изменена роль",
          create_user: "Создан пользователь",
          update_user: "Изменён пользователь",
          delete_user: "Удалён пользователь",
          remove_suppression: "Снята блокировка адреса",
          create_sender: "Создан отправитель",
          update_sender: "Изменён отправитель",
          delete_sender: "Удалён отправитель",
          create_layout: "Создан общий макет",
          update_layout: "Изменён общий макет",
          delete_layout: "Удалён общий макет",
          clear_throttle: "Сброшено ограничение входа",
        },
      },
      relays: {
        title: "Почтовые серверы",
        up: "Работает",
        down: "Недоступен",
        paused: "Приостановлена",
        noWorker: "Обработчик не запущен",
        triedFrom: "новая попытка с {{when}}",
        triesAt: "новая попытка в {{when}}",
        noneBefore: "Сервер SMTP не настроен (",
        noneOr: " или ",
        noneMiddle: "): почта попадает в ",
        localOutbox: "локальный ящик исходящих",
        noneAfter: " и не покидает этот компьютер.",
        sending: "Отправка:",
        workers_one: "{{n}} обработчик",
        workers_few: "{{n}} обработчика",
        workers_many: "{{n}} обработчиков",
        workers_other: "{{n}} обработчика",
        relay: "Сервер",
        weight: "Вес",
        state: "Состояние",
        lastError: "Последняя ошибка",
        test: "Проверить соединение",
        accepted: "{{relay}} принял соединение.",
        acceptedTls: "{{relay}} принял соединение по TLS.",
        acceptedLogin: "{{relay}} принял соединение и вход.",
        acceptedLoginTls: "{{relay}} принял соединение и вход по TLS.",
        failedAt: "{{relay}}: сбой на этапе «{{stage}}».",
        reply: "Его ответ:",
        noMail: "Письма не отправлялись.",
        explainBefore:
          "Проверка подключается, говорит EHLO, переходит на STARTTLS, если сервер это предлагает, и входит с учётными данными из ",
        explainAfter:
          ", с теми же тайм-аутами, что и при отправке. Если серверов несколько (SMTP_RELAYS), письма распределяются по весу, а сервер, который отказывает или недоступен, на время оставляется в покое, и его доля уходит другим; отправка приостанавливается, только пока отказывают все серверы.",
        stage: {
          connect: "подключение",
          greeting: "приветствие",
          ehlo: "EHLO",
          starttls: "STARTTLS",
          auth: "вход (AUTH)",
          mail: "MAIL FROM",
          rcpt: "RCPT TO",
          data: "DATA",
          local: "локальный ящик исходящих",
        },
      },
      throttles: {
        title: "Ограничения входа",
        intro:
          "Неудачные входы за последние сутки по учётной записи и адресу («все адреса» — замедление для самой учётной записи). Верный пароль с адреса, которым владелец уже пользовался, или с нового адреса по-прежнему пускает.",
        empty: "Неудачных входов нет",
        emptyText: "Здесь появляются учётные записи, в которые кому-то не удалось войти.",
        account: "Учётная запись",
        address: "Адрес",
        failures: "Неудач",
        lastFailure: "Последняя неудача",
        blockedUntil: "Заблокировано до",
        allAddresses: "все адреса",
      },
    },
    blog: {
      empty: "Записей пока нет",
      admin: {
        title: "Записи блога",
        public: "Открытый блог",
        writeFirst: "Напишите первую запись",
        state: "Состояние",
        views: "Просмотры",
        author: "Автор",
        publishedAt: "Опубликована {{when}}",
        draft: "Черновик",
      },
      form: {
        newTitle: "Новая запись",
        editTitle: "Изменение записи",
        view: "Открыть",
        title: "Заголовок",
        address: "Адрес",
        addressHelpEdit: "Показывается как /blog/{{slug}}. При изменении старые ссылки перестанут работать.",
        addressHelpNew: "Необязательно: если пусто, строится из заголовка, например /blog/spring-news.",
        text: "Текст",
        textHelp:
          "Markdown: **жирный**, _курсив_, [ссылки](https://example.com), # заголовки, - списки. HTML показывается как текст.",
        image: "Изображение",
        removeImage: "Убрать изображение",
        imageHelp: "Необязательно. JPEG, PNG или WebP, не более 5 МБ.",
        imageHelpReplace: "Необязательно. JPEG, PNG или WebP, не более 5 МБ; новое заменит текущее.",
        imageAlt: "Описание изображения",
        imageAltHelp:
          "Что изображено — зачитывается вслух тем, кто не видит картинку (текст alt). Оставьте пустым, если изображение лишь украшение.",
        published:
          "Опубликована (её могут читать все; без отметки это черновик, который видят только администраторы)",
        save: "Сохранить запись",
        create: "Создать запись",
      },
      delete: {
        title: "Удалить запись",
        before: "Удалить ",
        after: " вместе с изображением? Ссылки на /blog/{{slug}} перестанут работать.",
      },
      public: {
        manage: "Управлять записями",
        emptyText: "Здесь появятся новости о PostPilot.",
        all: "Все записи",
        draft: "Черновик: видят только администраторы",
        edit: "Изменить",
      },
    },
    // ── area admin: end
    // ── area outbox: begin (keys of this area go between these two lines)
    // ── area outbox: end
  },
};
