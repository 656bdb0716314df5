// tbiconn.ch: advmail's own include file. PREPARE / RESET ENVIRONMENT.
#ifndef _ADVMAIL_TBICONN_CH
#define _ADVMAIL_TBICONN_CH
#command PREPARE ENVIRONMENT EMPRESA <e> FILIAL <f> [USER <u>] [PASSWORD <p>] [MODULO <m>] [TABLES <t,...>] [FUNNAME <fn>] [<*any*>] ;
    => RpcSetEnv(<e>, <f>, <u>, <p>, <m>, <fn>, {<t>})
#command RESET ENVIRONMENT [<*any*>] => RpcClearEnv()
#endif
