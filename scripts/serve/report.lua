-- report.lua: a served script job (Main=report.lua). A real one would
-- build and send the nightly report with TMailManager; this one only
-- says when it ran.
conout("REPORT: run at " .. Time())
