$title A bilevel program of Bard (1988), EMP 'bilevel' annotation
$onText
The leader chooses x >= 0 to minimize (x - 1)**2 + 2 y1**2 - 2 x; the follower chooses y1, y2 >= 0 to
minimize (2 y1 - 4)**2 + (2 y2 - 1)**2 + x y1 subject to four linear constraints (Bard, Convex two-level
optimization, Mathematical Programming 40, 1988).

Written for sharedeq after test/gams/bilevel/bard-851.gms of the ReSHOP test suite (its first solve).
$offText

Positive Variable x, y1, y2;
Variable objout, objin;

Equation defout, defin, e1, e2, e3, e4;

defout.. objout =e= sqr(x - 1) + 2*sqr(y1) - 2*x;
defin..  objin  =e= sqr(2*y1 - 4) + sqr(2*y2 - 1) + x*y1;

e1..  4*x + 5*y1 + 4*y2 =l= 12;
e2.. -4*x - 5*y1 + 4*y2 =l= -4;
e3..  4*x - 4*y1 + 5*y2 =l= 4;
e4.. -4*x + 4*y1 + 5*y2 =l= 4;

Model bard / all /;

$echo bilevel x min objin y1 y2 defin e1 e2 e3 e4 > "%emp.info%"

solve bard using emp minimizing objout;
