$title The OLIGOMCP market as a Nash game of five profit maximizers (EMP)
$onText
The five firms of Murphy, Sherali and Soyster (Mathematical Programming 24, 1982), each maximizing its
own profit q(f) P(Q) - cost(f) at the inverse demand P(Q) = (5000/Q)**(1/1.1) of total output Q, with
costs c q + beta/(beta+1) l**(-1/beta) q**((beta+1)/beta). The equilibrium is the one of the GAMS model
library's OLIGOMCP, which writes the same firms' first-order conditions by hand.

Written for sharedeq: the OLIGOMCP data as an EMP equilibrium (one 'max' statement per firm).
$offText

Set f 'firms' / f1*f5 /;
Alias (f,g);

Table data(f,*) 'cost function data'
          c     l     beta
   f1    10     5     1.2
   f2     8     5     1.1
   f3     6     5     1.0
   f4     4     5     0.9
   f5     2     5     0.8 ;

Variable profit(f) 'profit of firm f';
Positive Variable q(f) 'output of firm f';

Equation defprofit(f) 'profit = revenue - cost';

defprofit(f).. profit(f) =e= q(f)*(5000/sum(g, q(g)))**(1/1.1)
                             - data(f,'c')*q(f)
                             - data(f,'beta')/(data(f,'beta') + 1)*data(f,'l')**(-1/data(f,'beta'))
                               *q(f)**((data(f,'beta') + 1)/data(f,'beta'));

Model cournot / defprofit /;

q.l(f) = 10;
q.lo(f) = 1e-3;

File empinfo / '%emp.info%' /;
put empinfo 'equilibrium' /;
loop(f, put 'max ', profit(f), q(f), defprofit(f) /;);
putclose empinfo;

solve cournot using emp;
display q.l;
