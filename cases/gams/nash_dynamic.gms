$title A two-period Nash game of two agents (after the ReSHOP test nash_emb)
$onText
Agent a1 chooses x(a1,0) >= 0 and x(a1,1) >= x(a1,0); agent a2 chooses x(a2,1) >= 0 (x(a2,0) is fixed at
0). Their costs couple through the second period. The published solution is x(a1,0) = alpha/beta = 6/7,
x(a1,1) = 5/2, x(a2,1) = 1/2.

Written for sharedeq after test/gams/embcode_reshop/nash_emb.gms of the ReSHOP test suite (Olivier Huber,
after Jiajie Shen), with the agents given in a classic empinfo file instead of ReSHOP's embedded code.
$offText

Set
   t 'periods' / 0*1 /
   a 'agents'  / a1*a2 /;
Scalar
   beta  / 7 /
   alpha / 6 /;

Variable x(a,t), obj(a);
Equation defobj(a), cons(a);

defobj(a).. obj(a) =e=
     ((beta/2*sqr(x('a1','0')) - alpha*x('a1','0'))
      + (1/2*sqr(x('a1','1')) + 3*x('a1','1')*x('a2','1') - 4*x('a1','1')))$sameas(a,'a1')
   + (x('a2','0')
      + (1/2*sqr(x('a2','1')) + x('a1','1')*x('a2','1') - 3*x('a2','1')))$sameas(a,'a2');

cons(a).. (x('a1','1') - x('a1','0'))$sameas(a,'a1') + x('a2','1')$sameas(a,'a2') =g= 0;

x.lo('a1','0') = 0;
x.fx('a2','0') = 0;

Model nash / defobj, cons /;

$onecho > "%emp.info%"
equilibrium
min obj('a1') x('a1','0') x('a1','1') defobj('a1') cons('a1')
min obj('a2') x('a2','1') defobj('a2') cons('a2')
$offecho

solve nash using emp;
display x.l;
