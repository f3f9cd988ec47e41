/** Answers of Debian's HAProxy 2.6.12 runtime API, as captured, for the parser and counter tests. */

export const INFO = `Name: HAProxy
Version: 2.6.12-1+deb12u4
Release_date: 2026/10/17
Nbthread: 2
Pid: 24131
Uptime: 0d 0h01m02s
Uptime_sec: 62
CurrConns: 0
node: lb-7
Stopping: 0
Start_time_sec: 1796298527
`;

export const STAT_HEADER =
  '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,check_fall,check_health,agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,conn_rate_max,conn_tot,intercepted,dcon,dses,wrew,connect,reuse,cache_lookups,cache_hits,srv_icur,src_ilim,qtime_max,ctime_max,rtime_max,ttime_max,eint,idle_conn_cur,safe_conn_cur,used_conn_cur,need_conn_est,uweight,agg_server_status,agg_server_check_status,agg_check_status,-,ssl_sess,';

export const STAT = `${STAT_HEADER}
web,FRONTEND,,,2,5,9980,600,40200,57000,0,0,0,,,,,OPEN,,,,,,,,,1,2,0,,,,0,0,0,0,,,,,,,,,,,0,0,0,,,0,0,0,0,,,,,,,,,,,,,,,,,,,,,tcp,,0,0,0,,0,0,0,,,,,,,,,,,0,,,,,,,,,-,0,
web,s1,0,0,1,3,,300,20100,28500,,0,,0,0,0,0,no check,3,1,0,,,4,,,1,2,1,,300,,2,0,,0,,,,,,,,,,,,,,0,0,,,,,-1,,,0,0,0,0,,,,,,,,,,,,127.0.0.1:18091,,tcp,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,0,3,,,,-,0,
web,s2,0,0,1,2,,200,13400,19000,,0,,7,0,0,0,DRAIN,2,1,0,,,4,,,1,2,2,,200,,2,0,,0,,,,,,,,,,,,,,0,0,,,,,-1,,,0,0,0,0,,,,,,,,,,,,127.0.0.1:18092,,tcp,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,0,2,,,,-,0,
web,s3,0,0,0,1,,100,6700,9500,,0,,0,0,0,0,"DOWN, going up",1,0,1,,,12,,,1,2,3,,100,,2,0,,0,,,,,,,,,,,,,,0,0,,,,,-1,,,0,0,0,0,,,,,,,,,,,,[::1]:18093,,tcp,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,0,1,,,,-,0,
web,BACKEND,0,0,2,5,998,600,40200,57000,0,0,,3,0,0,0,UP,5,2,1,,0,4,0,,1,2,0,,600,,1,0,,0,,,,,,,,,,,,,,0,0,0,0,0,0,-1,,,0,0,0,0,,,,,,,,,,,,,,tcp,roundrobin,,,,,,,0,0,0,,,,,0,0,0,0,0,,,,,5,0,0,0,-,0,
`;
