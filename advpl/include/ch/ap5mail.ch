// ap5mail.ch: advmail's own include file. Mail commands (CONNECT SMTP/POP
// SERVER, SEND MAIL, RECEIVE MAIL MESSAGE, ...) mapped to the legacy
// MailSmtpOn/MailSend/MailPopOn/MailReceive functions.

#ifndef _ADVMAIL_AP5MAIL_CH
#define _ADVMAIL_AP5MAIL_CH

#xcommand CONNECT SMTP SERVER <srv> ACCOUNT <user> PASSWORD <pass> [TIMEOUT <n>] [RESULT <l>] [<tls: TLS>] [<ssl: SSL>] ;
    => [<l> := ] MailSmtpOn(<srv>, <user>, <pass>, <n>, <.tls.>, <.ssl.>)

#xcommand CONNECT POP SERVER <srv> ACCOUNT <user> PASSWORD <pass> [TIMEOUT <n>] [RESULT <l>] [<tls: TLS>] [<ssl: SSL>] ;
    => [<l> := ] MailPopOn(<srv>, <user>, <pass>, <n>, <.tls.>, <.ssl.>)

#xcommand DISCONNECT SMTP SERVER [RESULT <l>] => [<l> := ] MailSmtpOff()

#xcommand DISCONNECT POP SERVER [RESULT <l>] => [<l> := ] MailPopOff()

#xcommand SEND MAIL FROM <from> TO <to,...> [CC <cc,...>] [BCC <bcc,...>] SUBJECT <subj> BODY <body> ;
    [FORMAT <text: TEXT>] [ATTACHMENT <files,...>] [RESULT <l>] [<tls: TLS>] [<ssl: SSL>] ;
    => [<l> := ] MailSend(<from>, {<to>}, {<cc>}, {<bcc>}, <subj>, <body>, {<files>}, <.text.>, <.tls.>, <.ssl.>)

#xcommand GET MAIL ERROR <err> => <err> := MailGetErr()

#xcommand POP MESSAGE COUNT <n> [RESULT <l>] => [<l> := ] PopMsgCount(@<n>)

#xcommand RECEIVE MAIL MESSAGE <n> [FROM <f>] [TO <t>] [CC <c>] [BCC <b>] [SUBJECT <s>] [BODY <bd>] ;
    [ATTACHMENT <a> [SAVE IN <p>]] [<del: DELETE>] [RESULT <l>] [<tls: TLS>] [<ssl: SSL>] ;
    => [<l> := ] MailReceive(<n>, [@<f>], [@<t>], [@<c>], [@<b>], [@<s>], [@<bd>], <a>, <p>, <.del.>, <.tls.>, <.ssl.>)

#endif
