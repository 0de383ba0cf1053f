$title Cournot oligopoly with a shared capacity (EMP, VIsol)
$onText
Three firms, inverse demand a - b*Q, constant marginal costs, one shared capacity with a common price (VIsol).
Closed form (b = 1): q(i) = a - Q - c(i) - lambda with Q = cap = 60, so lambda = 20 and q = 30, 20, 10.
$offText

Set i firms / 1*3 /;
Alias (i, j);

Parameter c(i) 'marginal cost' / 1 10, 2 20, 3 30 /;
Scalars a intercept / 120 /, b 'slope' / 1 /, cap shared capacity / 60 /;

Positive Variable q(i) output;
Variable profit(i);

Equations defprofit(i) 'profit of firm i', capacity 'shared capacity';

defprofit(i).. profit(i) =e= (a - b*sum(j, q(j)))*q(i) - c(i)*q(i);
capacity..     sum(i, q(i)) =l= cap;

Model cournot / defprofit, capacity /;

file emp / '%emp.info%' /;
put emp 'equilibrium' /;
put 'visol capacity' /;
loop(i, put 'max', profit(i), q(i), defprofit(i), capacity /);
putclose emp;

solve cournot using emp;
