// Package mail is advmail's mail layer: SMTP, POP3 and IMAP clients, MIME
// building and parsing, and the [Mail] configuration of an appserver.ini,
// with no Lua in it. Package bindings puts the TOTVS classes (TMailManager,
// TMailMessage, TMailMng) on top of it, and package runtime runs scripts
// with them.
//
// A Transport carries what every connection needs: the Config (read with
// ParseConfig, LoadConfig or ConfigFromINI, or DefaultConfig), an optional
// DialFunc replacing the TCP dialer, a TokenFunc for XOAUTH2 logins and a
// protocol trace (TraceWriter, which redacts passwords). DialSMTP,
// DialPOP3 and DialIMAP open sessions over it; a Message is what
// SMTPClient sends and what Parse reads back.
//
// Failures are *Error values carrying the TOTVS numeric Code a script
// sees (CodeOf, Classify); the codes are listed by Codes. Package
// mail/sandbox runs an embedded mail system a Transport can be routed to.
package mail
