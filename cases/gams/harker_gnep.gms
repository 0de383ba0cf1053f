$title Harker's two-player game with a shared constraint, variational equilibrium
$onText
Two players choose x1 and x2 in [0, 10] and share the constraint x1 + x2 <= 15 (Harker, Generalized Nash
games and quasi-variational inequalities, European Journal of Operational Research 54, 1991):

   player 1:  min  x1**2 + 8/3 x1 x2 - 34 x1
   player 2:  min  x2**2 + 5/4 x1 x2 - 24.25 x2

With one common price on the shared constraint (VIsol) the equilibrium is x = (5, 9) and the constraint is
slack. Written for sharedeq in the EMP manual's style (objective variables defined by equations, the
shared equation listed by both players).
$offText

Set i 'players' / 1*2 /;

Variable obj(i);
Positive Variable x(i);
x.up(i) = 10;

Equation defobj(i), shared;

defobj('1').. obj('1') =e= sqr(x('1')) + 8/3*x('1')*x('2') - 34*x('1');
defobj('2').. obj('2') =e= sqr(x('2')) + 5/4*x('1')*x('2') - 24.25*x('2');
shared..      x('1') + x('2') =l= 15;

Model harker / defobj, shared /;

File empinfo / '%emp.info%' /;
put empinfo 'equilibrium' /;
put 'visol shared' /;
loop(i, put 'min ', obj(i), x(i), defobj(i), ' shared' /;);
putclose empinfo;

solve harker using emp;
display x.l, shared.m;
