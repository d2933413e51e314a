namespace CacheInvalidator.OpsConsole;

/// <summary>The console's one stylesheet, served from <c>/ops/console/console.css</c> (the pages allow no inline style).</summary>
internal static class ConsoleStyle
{
    public const string Css = """
        :root { color-scheme: light; --fg: #1d2330; --muted: #5b6475; --line: #d8dde6; --ok: #1f7a3a; --warn: #9a6400; --bad: #b3261e; --accent: #2457c5; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 14px/1.45 system-ui, sans-serif; color: var(--fg); background: #f6f7f9; }
        header { display: flex; justify-content: space-between; align-items: center; padding: .6rem 1.2rem; background: #1d2330; color: #fff; }
        header a { color: #dfe6f5; margin-right: 1rem; text-decoration: none; }
        header a:hover { text-decoration: underline; }
        header form { display: flex; gap: .6rem; align-items: center; }
        ul.status { display: flex; flex-wrap: wrap; gap: .5rem; list-style: none; margin: 0; padding: .5rem 1.2rem; background: #fff; border-bottom: 1px solid var(--line); }
        ul.status li { padding: .2rem .6rem; border-radius: 4px; border: 1px solid var(--line); }
        ul.status li.ok { border-color: #b6dcc1; } ul.status li.warn { border-color: #ebcf8f; background: #fff8e6; } ul.status li.bad { border-color: #eab0ab; background: #fdeceb; }
        ul.status .label { color: var(--muted); }
        main { padding: 1rem 1.2rem 3rem; max-width: 1400px; }
        main.login { max-width: 420px; margin: 4rem auto; background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 1.5rem; }
        main.login form { display: grid; gap: .5rem; }
        h1 { font-size: 1.4rem; margin: .2rem 0 1rem; } h2 { font-size: 1.1rem; margin: 1.4rem 0 .5rem; } h2 small { color: var(--muted); font-weight: normal; }
        table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
        th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { background: #eef1f5; font-weight: 600; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
        td .sub { color: var(--muted); font-size: .9em; max-width: 40ch; overflow-wrap: anywhere; }
        td.actions form { display: inline; }
        pre { background: #fff; border: 1px solid var(--line); padding: .6rem; overflow: auto; max-height: 28rem; white-space: pre-wrap; overflow-wrap: anywhere; }
        code { font: 12.5px ui-monospace, monospace; overflow-wrap: anywhere; }
        dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; background: #fff; border: 1px solid var(--line); padding: .6rem; }
        dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; }
        form.filters { display: flex; flex-wrap: wrap; gap: .5rem; align-items: end; margin-bottom: .6rem; }
        form.filters label, form.stack label { display: flex; flex-direction: column; font-size: .9em; color: var(--muted); }
        form.stack { display: grid; gap: .5rem; max-width: 40rem; }
        input, select, textarea, button { font: inherit; padding: .3rem .5rem; border: 1px solid #b9c1cf; border-radius: 4px; }
        button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; }
        button.danger { background: var(--bad); border-color: var(--bad); }
        header button { background: transparent; border-color: #8d97aa; }
        div.actions { display: flex; gap: .6rem; margin: .6rem 0; align-items: center; }
        .notice { padding: .5rem .8rem; border-radius: 4px; border: 1px solid var(--line); background: #fff; }
        .notice.ok { border-color: #b6dcc1; background: #eef8f1; } .notice.warn { border-color: #ebcf8f; background: #fff8e6; } .notice.bad { border-color: #eab0ab; background: #fdeceb; }
        .notice ul { margin: 0; padding-left: 1.2rem; }
        """;
}
