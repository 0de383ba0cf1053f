$title Simple equilibrium with an external constraint (after GAMS EMP library SIMPEQUIL2, SEQ=63)
$onText
One optimizing agent (max x subject to x + y <= 1) and one VI player who owns y and makes the equation
-3 x + y = 0.5 hold. The equilibrium is x = 1/8, y = 7/8.

Written for sharedeq after the EMP library model SIMPEQUIL2 by Michael Ferris (as kept in the ReSHOP test
suite, test/gams/empinterp/simpequil_space_comments.gms), including its comment lines in the empinfo.
$offText

option limrow = 0, limcol = 0;

Variable y;
Positive Variable x;
Equation optcons, vicons;

optcons.. x + y =l= 1;
vicons..  -3*x + y =e= 0.5;

Model comp / optcons, vicons /;

File info / '%emp.info%' /;
putclose info / '* the agent' / 'equilibrium' / 'max x optcons' / '* and the VI' / 'vi vicons y';

solve comp using emp;
display x.l, y.l;
