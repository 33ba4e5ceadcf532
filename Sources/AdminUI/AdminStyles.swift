/// The admin's one stylesheet, served by us at `/admin/static/admin.css` (no CDN, no build
/// step). Readable at 1366 px, usable at 390 px: the navigation folds above the content.
public enum AdminStyles {
    /// An hourglass, so tabs are told apart (and no browser asks for a missing /favicon.ico).
    public static let favicon = """
    <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#14213d"/>\
    <path d="M4 3h8v2l-3 3 3 3v2H4v-2l3-3-3-3z" fill="#ffd166"/></svg>
    """

    public static let css = """
    :root { --ink: #1b1f24; --muted: #5b6570; --line: #d8dde3; --bg: #f5f7f9; --card: #fff; --accent: #0b5cad;
            --good: #1a7f37; --good-bg: #dff3e4; --warn: #8a5a00; --warn-bg: #fdf0d5; --bad: #b42318; --bad-bg: #fde4e1;
            --info: #0b5cad; --info-bg: #e3effc; }
    * { box-sizing: border-box; }
    body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: var(--ink); background: var(--bg); }
    a { color: var(--accent); }
    a:focus, button:focus, input:focus, select:focus { outline: 2px solid var(--accent); outline-offset: 1px; }
    header.top { display: flex; align-items: center; gap: 16px; padding: 8px 16px; background: #14213d; color: #fff; flex-wrap: wrap; }
    header.top .brand { color: #fff; font-weight: 700; text-decoration: none; font-size: 17px; white-space: nowrap; }
    header.top form.search { flex: 1 1 320px; display: flex; gap: 6px; margin: 0; }
    header.top form.search input { flex: 1; padding: 7px 10px; border-radius: 6px; border: 1px solid #3d4a66; font-size: 15px; min-width: 0; }
    header.top .who { display: flex; align-items: center; gap: 10px; font-size: 14px; flex-wrap: wrap; }
    header.top .who a, header.top .who button.link { color: #cfe0ff; }
    header.top .role { background: #2b3a5c; border-radius: 4px; padding: 1px 6px; }
    header.top .who form { margin: 0; }
    .env { background: #fff3bf; color: #5c4400; padding: 4px 16px; font-size: 13px; border-bottom: 1px solid #e9d27a; }
    .frame { display: flex; align-items: flex-start; }
    nav.side { width: 210px; flex: none; padding: 12px 10px 24px 16px; font-size: 14px; position: sticky; top: 0; max-height: 100vh; overflow-y: auto; }
    nav.side h3 { font-size: 11px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin: 14px 0 4px; }
    nav.side ul { list-style: none; margin: 0; padding: 0; }
    nav.side li a { display: block; padding: 3px 6px; border-radius: 4px; text-decoration: none; color: var(--ink); }
    nav.side li a:hover { background: #e6ebf0; }
    main { flex: 1; min-width: 0; padding: 12px 20px 40px; max-width: 1280px; }
    .bare main { max-width: 420px; margin: 40px auto; }
    h1 { font-size: 22px; margin: 6px 0 14px; }
    h2 { font-size: 16px; margin: 0 0 10px; display: flex; justify-content: space-between; align-items: baseline; gap: 8px; }
    h2 a.more { font-size: 13px; font-weight: normal; }
    .crumbs { font-size: 13px; color: var(--muted); }
    .card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; margin: 0 0 14px; }
    .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 540px), 1fr)); gap: 14px; align-items: start; }
    .grid > .card, .grid > .wide > .card { margin: 0; }
    .grid > .wide { grid-column: 1 / -1; }
    dl.fields { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
    dl.fields dt { color: var(--muted); }
    dl.fields dd { margin: 0; overflow-wrap: anywhere; }
    .scroll { overflow-x: auto; }
    table.list { border-collapse: collapse; width: 100%; font-size: 14px; }
    table.list th, table.list td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
    table.list th { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); background: #fafbfc; position: sticky; top: 0; }
    table.list td.num, table.list th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
    table.list tbody tr:hover { background: #f3f6fa; }
    .badge { display: inline-block; padding: 1px 7px; border-radius: 10px; font-size: 12px; font-weight: 600; background: #eceff2; color: var(--ink); white-space: nowrap; }
    .badge.good { background: var(--good-bg); color: var(--good); } .badge.warn { background: var(--warn-bg); color: var(--warn); }
    .badge.bad { background: var(--bad-bg); color: var(--bad); } .badge.info { background: var(--info-bg); color: var(--info); }
    .notice { padding: 8px 12px; border-radius: 6px; background: var(--info-bg); color: #0a3a6b; }
    .notice.bad { background: var(--bad-bg); color: var(--bad); } .notice.good { background: var(--good-bg); color: var(--good); }
    .notice.warn { background: var(--warn-bg); color: var(--warn); }
    .banner { background: #fff3bf; border: 1px solid #e9d27a; color: #5c4400; padding: 8px 12px; border-radius: 6px; margin-bottom: 12px; }
    .muted { color: var(--muted); }
    .id { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
    code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
    pre { background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px; padding: 8px; overflow-x: auto; white-space: pre-wrap; overflow-wrap: anywhere; }
    form.filters { display: flex; flex-wrap: wrap; gap: 10px 16px; align-items: flex-end; margin: 0 0 12px; background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
    form.filters fieldset { border: 0; padding: 0; margin: 0; } form.filters legend { font-size: 12px; color: var(--muted); }
    label.choice { margin-right: 8px; white-space: nowrap; }
    input[type=text], input[type=email], input[type=password], input[type=search], input[type=date], input[type=datetime-local], input[type=number], select, textarea {
        padding: 6px 8px; border: 1px solid #b8c1cc; border-radius: 6px; font: inherit; max-width: 100%; }
    form.stack label { display: block; margin: 0 0 10px; } form.stack input, form.stack select, form.stack textarea { display: block; width: 100%; margin-top: 3px; }
    button, .button { display: inline-block; padding: 6px 14px; border-radius: 6px; border: 1px solid var(--accent); background: var(--accent); color: #fff; font: inherit; cursor: pointer; text-decoration: none; }
    button.secondary, .button.secondary { background: #fff; color: var(--accent); }
    button.danger { background: var(--bad); border-color: var(--bad); }
    button.link { background: none; border: 0; padding: 0; text-decoration: underline; cursor: pointer; }
    form.action { display: inline-block; margin: 0 8px 8px 0; }
    .pager { margin: 10px 0; }
    .counts { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 10px; }
    .count { display: block; background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; text-decoration: none; color: var(--ink); }
    .count strong { display: block; font-size: 26px; font-variant-numeric: tabular-nums; }
    .count.attention { border-color: #e9b949; background: #fffaf0; }
    .badges { display: flex; flex-wrap: wrap; gap: 6px; margin: 0 0 12px; }
    .timeline svg { width: 100%; height: auto; display: block; }
    .timeline .legend { font-size: 12px; color: var(--muted); display: flex; flex-wrap: wrap; gap: 12px; }
    .legend i { display: inline-block; width: 14px; height: 8px; vertical-align: middle; margin-right: 4px; border-radius: 2px; }
    .legend i.shift { background: #5b8def; } .legend i.first-hour { background: #1a6b47; } .legend i.session { background: #2f9e6b; }
    .legend i.gap { background: #f2c94c; } .legend i.cut { background: #b42318; } .legend i.block { background: #7b61ff; } .legend i.pause { background: #e5484d; }
    .answer { font-size: 20px; font-weight: 700; }
    .answer.yes { color: var(--good); } .answer.no { color: var(--bad); }
    ol.evidence li { margin-bottom: 6px; }
    @media (max-width: 760px) {
        .frame { display: block; }
        nav.side { width: auto; position: static; max-height: none; padding: 8px 12px; display: flex; flex-wrap: wrap; gap: 4px 14px; border-bottom: 1px solid var(--line); background: #fff; }
        nav.side h3 { display: none; } nav.side ul { display: contents; } nav.side li a { padding: 2px 0; }
        main { padding: 10px 12px 30px; }
        dl.fields { grid-template-columns: 1fr; } dl.fields dt { margin-top: 6px; }
        header.top .who { width: 100%; justify-content: flex-end; }
    }
    @media print { header.top, nav.side, .env, form.filters, form.action { display: none; } body { background: #fff; } .card { border: 0; } }
    """
}
