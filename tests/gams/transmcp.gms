$title Transportation model as equilibrium problem (TRANSMCP,SEQ=126)
$onText
Dantzig's original transportation model (Dantzig, 1963) written as an MCP: the LP's optimality conditions,
with a fixed demand (esub = 0) as in the GAMS model library's TRANSMCP with default data.
$offText

Sets
     i   canning plants   / seattle, san-diego /
     j   markets          / new-york, chicago, topeka / ;

Parameters
     a(i)  capacity of plant i in cases
       /    seattle     350
            san-diego   600  /

     b(j)  demand at market j in cases
       /    new-york    325
            chicago     300
            topeka      275  / ;

Table d(i,j)  distance in thousands of miles
                  new-york       chicago      topeka
    seattle          2.5           1.7          1.8
    san-diego        2.5           1.8          1.4  ;

Scalar f  freight in dollars per case per thousand miles  /90/ ;

Parameter c(i,j)  transport cost in thousands of dollars per case ;
          c(i,j) = f * d(i,j) / 1000 ;

Positive Variables
     x(i,j)   shipment quantities in cases
     w(i)     shadow price at supply node i
     p(j)     shadow price at demand node j ;

Equations
     supply(i)   supply limit at plant i
     fxdemand(j) fixed demand at market j
     profit(i,j) zero profit conditions ;

supply(i)..   a(i) =g= sum(j, x(i,j)) ;

fxdemand(j).. sum(i, x(i,j)) =g= b(j) ;

profit(i,j).. w(i) + c(i,j) =g= p(j) ;

* the start: levels as GAMS users set them
p.l(j) = 1 ;

Model transport / profit.x, supply.w, fxdemand.p / ;

solve transport using mcp ;

display x.l, p.l ;
