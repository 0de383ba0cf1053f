$title Josephy's nonlinear complementarity problem (MCPLIB josephy)
$onText
Four nonnegative variables, four quadratic functions (Josephy, Newton's method for generalized equations,
Technical Summary Report 1965, Mathematics Research Center, University of Wisconsin, 1979; MCPLIB, Dirkse
and Ferris, Optimization Methods and Software 5, 1995). The solution is x = (sqrt(6)/2, 0, 0, 1/2); it is
degenerate: the third function is zero at x3 = 0.

Written for sharedeq from the MCPLIB problem.
$offText

Set i / 1*4 /;

Positive Variable x(i);

Equation f(i);

f('1').. 3*sqr(x('1')) + 2*x('1')*x('2') + 2*sqr(x('2')) + x('3') + 3*x('4') - 6 =g= 0;
f('2').. 2*sqr(x('1')) + x('1') + sqr(x('2')) + 10*x('3') + 2*x('4') - 2 =g= 0;
f('3').. 3*sqr(x('1')) + x('1')*x('2') + 2*sqr(x('2')) + 2*x('3') + 9*x('4') - 9 =g= 0;
f('4').. sqr(x('1')) + 3*sqr(x('2')) + 2*x('3') + 3*x('4') - 3 =g= 0;

Model josephy / f.x /;

x.l(i) = 1;

solve josephy using mcp;
display x.l;
