$title Constructs of the GAMS subset (data, assignments, attributes)
$set n 4
$if not set scale $set scale 2
$eolcom #
$inlinecom {{ }}
* a comment line
$onText
Anything here is ignored: Set bogus / a /;
$offText

Sets
    t        'periods'          / t1*t%n% /
    k        numbered            / 1*3 /
    r        regions with text   / north   'the north'
                                   "south east" 'quoted label with a blank' /
    rk(r,k)  a two-dimensional set / north.(1,2), "south east".3 /
    tt(t)    subset of t ;
Alias (t, s);

tt(t)$(ord(t) > 1) = yes;          # every period but the first

Scalar  f 'a scalar' / 1.5 /, g;
g = %scale% * f;                    {{ in-line comment }}

Parameters
    a(t)     data     / t1 1, t2 2, t3 -3 /
    lagged(t), cumul(t), big(t), small, card_t, rsum(r);

Table w(r,k) 'a table with a continuation block'
              1      2
    north     1.0    2.0
 "south east"        4.0
  +           3
    north     5
 "south east" 6 ;

lagged(t) = a(t-1);                              # 0 at the first period
cumul(t)$(ord(t) > 1) = cumul(t-1) + a(t);       # runs in order
cumul('t1') = 10;
big(t) = max(a(t), 0) + power(2, ord(t)) + sqr(2) + exp(0) + log(1);
small = smin(t$a(t), a(t)) + smax(s, ord(s)) + prod(k, k.val);
card_t = card(t) + card(tt) + sum(rk(r,k), 1);
rsum(r) = sum(k$rk(r,k), w(r,k));
loop(t$(not sameas(t, 't2')), rsum("north") = rsum("north") + 1);
if(card(t) = 4, small = small + 100; else small = -1);

Variables x(t) positive, y(t) free, obj;
Positive Variable x2(t);
Negative Variable z;
x.up(t) = 10;
x.lo(t)$tt(t) = 1;
x.l(t) = 2;
x.fx('t4') = 3;
y.lo(t) = -inf;
z.up = 0;

Equations defobj, link(t);
defobj.. obj =e= sum(t, sqr(x(t) - a(t)) + sqr(y(t))) + sqr(z + 1);
link(t)$(ord(t) < card(t)).. y(t) =g= x(t+1) - x(t);

Model m / all /;
solve m using nlp minimizing obj;
