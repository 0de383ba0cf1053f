$title River basin pollution game, variational equilibrium
$onText
Three firms along a river choose outputs x(i); each pays its production cost minus revenue at the inverse
demand d1 - d2 sum(j, x(j)), and together they must keep two pollution measures within limits K(m)
(Haurie and Krawczyk, Optimal charges on river effluent from lumped and distributed sources, Environmental
Modeling and Assessment 2, 1997; Krawczyk and Uryasev, Relaxation algorithms to find Nash equilibria with
economic applications, 2000). The GAMS EMP manual uses it for shared constraints; with VIsol both limits
carry one price each.

Written for sharedeq after the EMP manual's river basin model.
$offText

Set
   i 'firms'            / 1*3 /
   m 'pollution limits' / 1*2 /;
Alias (i,j);

Variable obj(i);
Positive Variable x(i);

Parameter
   K(m) / 1 100, 2 100 /
   d1   / 3 /
   d2   / 0.01 /
   e(i) / 1 0.5, 2 0.25, 3 0.75 /;

Table c(m,i)
         1      2      3
   1    0.1    0.12   0.15
   2    0.01   0.05   0.01 ;

Table u(i,m)
         1      2
   1    6.5    4.583
   2    5.0    6.250
   3    5.5    3.750 ;

Equation objdef(i), cons(m);

objdef(i).. obj(i) =e= (c('1',i) + c('2',i)*x(i))*x(i) - (d1 - d2*sum(j, x(j)))*x(i);
cons(m)..   sum(i, u(i,m)*e(i)*x(i)) =l= K(m);

Model river / objdef, cons /;

File empinfo / '%emp.info%' /;
put empinfo 'equilibrium' /;
put 'VIsol cons' /;
loop(i, put 'min', obj(i), x(i), objdef(i), 'cons' /;);
putclose empinfo;

solve river using emp;
display x.l, cons.m;
